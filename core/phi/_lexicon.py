"""Word lists: the shipped name and place lists (loaded once, lazily) and the small hand-made sets next to them.

The census lists are the recall side: 94,000 first and last names. They are also full of English words (PATIENT,
STABLE, BLOOD and HEAD are all surnames somewhere), so the build marks names that are common English words as
ambiguous, and COMMON_WORDS below adds the everyday words that are also popular names (WILL, MAY, BROWN, HALL).
An ambiguous token is a name only with help: a title, a cue, or an unambiguous partner in a First Last pair.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class NameLists:
    first: frozenset[str]  # upper case, apostrophes removed (O'BRIEN -> OBRIEN, as the census spells it)
    last: frozenset[str]
    ambiguous: frozenset[str]
    any: frozenset[str]  # first | last
    pool_first: tuple[str, ...]  # popular, unambiguous: where surrogate names come from
    pool_last: tuple[str, ...]


@dataclass(frozen=True)
class Places:
    cities: frozenset[str]  # upper case, any state
    big: frozenset[str]  # population >= 100,000 and not an English word: enough with a weaker cue ("from X")
    pool: tuple[str, ...]  # title case, for surrogates


@cache
def names() -> NameLists:
    first: set[str] = set()
    last: set[str] = set()
    ambiguous: set[str] = set(COMMON_WORDS)
    pool_first: list[str] = []
    pool_last: list[str] = []
    with gzip.open(_DATA / "names.tsv.gz", "rt", encoding="ascii") as lines:
        for line in lines:
            name, _, flags = line.rstrip("\n").partition("\t")
            if "F" in flags:
                first.add(name)
            if "L" in flags:
                last.add(name)
            if "A" in flags:
                ambiguous.add(name)
            if "P" in flags and name not in COMMON_WORDS:
                (pool_first if "F" in flags else pool_last).append(name)
    first -= NOT_NAMES
    last -= NOT_NAMES
    return NameLists(
        first=frozenset(first),
        last=frozenset(last),
        ambiguous=frozenset(ambiguous),
        any=frozenset(first | last),
        pool_first=tuple(pool_first),
        pool_last=tuple(pool_last),
    )


@cache
def places() -> Places:
    cities: set[str] = set()
    big: set[str] = set()
    pool: list[str] = []
    with gzip.open(_DATA / "us_places.tsv.gz", "rt", encoding="ascii") as lines:
        for line in lines:
            name, state, population, flags = line.rstrip("\n").split("\t")
            key = name.upper()
            cities.add(key)
            if int(population) >= 100_000 and "A" not in flags:
                big.add(key)
            if int(population) >= 50_000 and "A" not in flags and " " not in name:
                pool.append(name)
    return Places(cities=frozenset(cities), big=frozenset(big), pool=tuple(sorted(set(pool))))


# Everyday words that are also popular names; the build flags rarer ones (PATIENT, STABLE) from SCOWL.
COMMON_WORDS = frozenset(
    """
    WILL MAY BROWN WHITE GREEN BLACK GRAY GREY YOUNG KING LONG SHORT SMALL LITTLE HALL HILL WOOD WOODS ROSE MARK
    BILL FRANK GRANT MILES LANE CHASE RICE CROSS BELL BALL PAGE LOVE HOPE JOY GRACE FAITH DAWN JUNE APRIL AUGUST
    SUMMER WINTER GUY ART SUE PAT RAY DON JACK RICH MAJOR PRINCE NOBLE HEAD WEST EAST NORTH SOUTH DAY BUSH PARK WISE
    GATES POWERS PRICE WARD HUNT FOX STONE HART BANKS FIELDS BISHOP DEAN CHRISTIAN BUCK CASH CLAY COOK COX DREW GLEN
    HEATH HOLLY IVY JEWEL LACY LONG MASON MOSS NEWTON PEARL PORTER REED ROBIN ROYAL RUBY SANDY STERLING TANNER
    VAN WADE WARREN WOLF BASS BOND BRIDGES BURNS CANNON CHAMBERS COLON CURRY FARMER FLOWERS FRENCH GROSS HARDY
    HOOD LAMB MARSH MOODY PARKS PIERCE POPE SHARP SPARKS STOKES WALL WATERS WATTS SUMMERS BERRY BUTLER CARPENTER
    FOSTER HUNTER LYNCH MANNING WELLS WEAVER FISHER BARBER POTTER KNIGHT TURNER MILLS SON MAN JUNIOR NUMBERS BRAIN
    MANUAL CHANCE GALE FOREST CAROL ANGEL AMBER CRYSTAL HAZEL PENNY SHERRY HONEY SUNNY STORM RIVER SKY ASH BLAZE
    MAX ED AL DEE ADA ELI EVA LES GUS SAL VAL ORA IDA LIZ CAL DEL MEL LOU JAN TERRY FAY KAY ROY ALLEN
    """.split()
)

# Census entries that are clinical or note words and nothing else here: never names on their own.
NOT_NAMES = frozenset(
    """
    PATIENT PT STABLE PAIN BLOOD BACK HIGH LOW LEFT RIGHT NO HAS SEEN CARE TEMP WEIGHT NURSE DOCTOR NORMAL DOWN
    NIGHT WEEK DAILY HOME ROOM BED FLOOR CHART NOTE PLAN EXAM HISTORY LABS DOSE TABLET PILL DRUG CLINIC OFFICE
    VISIT CALL CALLED PHONE FAX ZIP CITY STATE COUNTY STREET ROAD AVENUE DRIVE LANE COURT APT SUITE UNIT BOX
    DATE BORN BIRTH AGE MALE FEMALE MAN WOMAN CHILD BABY MOTHER FATHER SISTER BROTHER WIFE HUSBAND DAUGHTER SON
    FAMILY FRIEND SIGNED SIGN TEST SCORE SCALE MONITOR CATHETER SYNDROME DISEASE PALSY REFLEX TYPE GRADE STAGE
    MEDICAL RECORD MEMBER POLICY ACCOUNT LICENSE SERIAL PLATE DEVICE ORDER CASE CLAIM GROUP ID MRN DOB
    ASSESSMENT IMPRESSION SUBJECTIVE OBJECTIVE GENERAL CHIEF COMPLAINT REVIEW SYSTEMS PHYSICAL SOCIAL SURGICAL
    MEDICATIONS ALLERGIES VITALS RESULTS DISCHARGE ADMISSION PROGRESS CONSULT REASON FOLLOW UP RETURN
    AND THE FOR WITH NOT BUT ALL ANY ONE TWO SIX TEN SAYS SAID TOLD GAVE CAME WENT OK YES IS WAS BE HAD ON IN AT
    BY OF TO OR AS IF SO DO GO US WE HE SHE HIM HER HIS
    """.split()
)

TITLES = frozenset({"DR", "MR", "MRS", "MS", "MISS", "MX", "PROF", "DOCTOR", "MISTER"})

# Words after which a capitalised name-list token is a name ("daughter Maria", "seen by Patel").
NAME_CUES = frozenset(
    """
    patient pt daughter son wife husband mother father mom dad sister brother spouse partner fiance fiancee
    girlfriend boyfriend friend neighbor neighbour caregiver guardian niece nephew aunt uncle grandson
    granddaughter grandmother grandfather cousin sibling by attending resident intern fellow nurse rn np pa pcp
    provider physician surgeon therapist name named contact witness interpreter chaplain
    """.split()
)

# After a name these make it a clinician: "Raj Patel, MD".
CREDENTIALS = frozenset(
    """
    MD DO RN NP PA PA-C DNP PHD PHARMD LPN CNA CRNA LCSW MSW DDS DMD OD DPM PT OT SLP RD MBBS FACP FACS
    """.split()
)

# A surname followed by one of these is an eponym (Allen test, Graves disease), not a person in the note.
EPONYM_NEXT = frozenset(
    """
    test tests sign signs disease diseases syndrome syndromes maneuver manoeuvre score scale criteria catheter
    palsy reflex stain monitor procedure fracture lymphoma esophagus phenomenon classification method
    operation repair node nodes cell cells body bodies index law rule hypothesis position tube line lines
    protocol equation formula ratio coma canal duct triad pump
    """.split()
)

STATE_ABBRS = frozenset(
    """
    AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH
    OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP
    """.split()
)
# Also clinical words or credentials: a place before them needs more than the abbreviation.
STATE_ABBRS_AMBIGUOUS = frozenset({"MD", "PA", "MA", "MS", "IN", "OR", "ME", "OK", "HI", "ID", "DE", "CO", "LA", "AL"})
STATE_NAMES = frozenset(
    """
    alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
    missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia
    washington wisconsin wyoming
    """.split()
) | frozenset(
    {
        "new hampshire",
        "new jersey",
        "new mexico",
        "new york",
        "north carolina",
        "north dakota",
        "rhode island",
        "south carolina",
        "south dakota",
        "west virginia",
        "puerto rico",
    }
)
