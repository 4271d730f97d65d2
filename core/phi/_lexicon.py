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
    any: frozenset[str]  # first | last | given names of the SSA files (flag S): listed, but no first name for weak cues
    pool_first: tuple[str, ...]  # popular, unambiguous: where surrogate names come from
    pool_last: tuple[str, ...]


@dataclass(frozen=True)
class Places:
    cities: frozenset[str]  # upper case, any state
    plain: frozenset[str]  # cities whose name is not also a common English word: a place after "in" or "from"
    big: frozenset[str]  # population >= 100,000 and not an English word: enough with a weaker cue ("from X")
    pool: tuple[str, ...]  # title case, for surrogates


@cache
def names() -> NameLists:
    # Comprehensions over the whole decompressed file: a loop of set.add() per line made this a third of the
    # start-up of `intelluxe phi scan`.
    rows = [line.split("\t") for line in _read_lines("names.tsv.gz")]
    first = {name for name, flags in rows if "F" in flags} - NOT_NAMES
    last = {name for name, flags in rows if "L" in flags} - NOT_NAMES
    given = {name for name, flags in rows if "S" in flags} - NOT_NAMES
    pooled = [(name, "F" in flags) for name, flags in rows if "P" in flags and name not in COMMON_WORDS]
    return NameLists(
        first=frozenset(first),
        last=frozenset(last),
        ambiguous=frozenset(name for name, flags in rows if "A" in flags) | COMMON_WORDS,
        any=frozenset(first | last | given),
        pool_first=tuple(name for name, is_first in pooled if is_first),
        pool_last=tuple(name for name, is_first in pooled if not is_first),
    )


def _read_lines(file: str) -> list[str]:
    return gzip.decompress((_DATA / file).read_bytes()).decode("ascii").splitlines()


@cache
def english() -> frozenset[str]:
    """SCOWL's small American English list, lower case (data/README.md): what a word is when it is no name."""
    return frozenset(word for line in _read_lines("english.txt.gz") if (word := line.strip()))


@cache
def places() -> Places:
    cities: set[str] = set()
    big: set[str] = set()
    plain: set[str] = set()
    pool: list[str] = []
    for line in _read_lines("us_places.tsv.gz"):
        name, state, population, flags = line.split("\t")
        key = name.upper()
        cities.add(key)
        if "A" not in flags:
            plain.add(key)
        if int(population) >= 100_000 and "A" not in flags:
            big.add(key)
        if int(population) >= 50_000 and "A" not in flags and " " not in name:
            pool.append(name)
    return Places(cities=frozenset(cities), plain=frozenset(plain), big=frozenset(big), pool=tuple(sorted(set(pool))))


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

# ------------------------------------------------------------------ places without an address (core.phi._places)

# Words that name a facility after its name ("Holy Cross Hospital", "Baltimore Rehab", "Greater Baltimore Med Ctr").
FACILITY_WORDS = frozenset(
    (
        "hospital|hospitals|hosp|hosp.|medical center|medical ctr|med ctr|med center|med. ctr.|med. center|memorial"
        "|infirmary|clinic|clinics|rehab|rehabilitation|nursing home|hospice|va|vamc|va hospital|health center"
        "|health system|healthcare|sanitarium|sanatorium|campus|manor|nursing center|care center"
        "|convalescent center|surgery center|cancer center"
    ).split("|")
)
# Words that can only mean a facility: a lower-case name before them is still a name ("sacred heart hospital").
STRONG_FACILITY_WORDS = frozenset(
    {
        "hospital",
        "hosp",
        "hosp.",
        "medical center",
        "medical ctr",
        "med ctr",
        "memorial",
        "infirmary",
        "va hospital",
        "med center",
        "med. ctr.",
        "med. center",
        "sanitarium",
        "sanatorium",
    }
)
# Ward and unit words after a name: "VAMC ICU", "Warren Grant EW" (alone, "ICU" is not a place of the person).
UNIT_WORDS = frozenset("icu micu sicu ccu nicu picu ew er ed ward wing pavilion tower".split())
# Verbs after which "to X" / "from X" / "at X" names where the patient went.
MOVE_VERBS = frozenset(
    """
    transferred transfered tranfered transfred transferring transfer trans xfer xferred xfered tx txd txed
    admitted admit adm readmitted sent taken went arrived flighted medflighted medflight med-flighted enroute
    en-route brought returned presented seen followed transported referred discharged go
    """.split()
)
# Employer cues: the capitalised words after them are an organization.
ORG_CUES = frozenset(
    (
        "works at|works for|working at|working for|worked at|worked for|employed at|employed by|employer"
        "|employed with|retired from|ceo of|president of|owner of|insurer|insurance carrier"
    ).split("|")
)
# Words before "in"/"of" that make a person-name-like city a residence ("lives in Warren", "son of Hampton").
RESIDENCE_CUES = frozenset(
    """
    lives live living lived resides reside residing resident moved relocated home born raised grew up vacationing
    visiting staying stays based located son daughter sister brother wife husband mother father family relatives
    dtr dau niece nephew aunt uncle grandson granddaughter friend fly flying flew flown arrive arriving arrived
    drive driving drove travel traveling travelling traveled returned returning back visit here
    """.split()
)
# Hospital-shaped acronyms that are clinical words instead ("at NH" is a nursing home, "of OH" a hydroxyl).
HOSPITAL_ACRONYM_STOP = frozenset(
    """
    nh oh ph ch sh th rh mh bh dh eh ah uh wh hh ich sah sdh edh ugh bph lvh rvh cah hh tah dvh pph mph gh.
    bh. ah. oh. vh ivh lh fsh hgh crh ach ach. yeah each much such ugh rush push both with high sigh dh. ah
    bmc imc cmc nmc pmc dmc amc
    """.split()
)
# Words that end a place name or cannot start one: function words, generic and clinical destinations, specialties,
# therapies and settings ("transferred to CCU", "outside hospital", "cardiac rehab", "pain clinic").
PLACE_STOP = frozenset(
    """
    the a an to for in on at with and or of from by via per this that these those his her their our your my its
    same other another outside osh local area nearby nearest previous prior referring different new old private
    community state county city general university teaching regional public
    home house floor floors ward wards unit units bed beds room rooms chair commode bathroom bedside hallway hall
    icu micu sicu ccu cicu csru cvicu ticu nicu picu tsicu neuro neuroicu pcu stepdown step-down tele telemetry
    imcu sdu ed er ew or o.r. pacu ir cath cathlab lab labs ct mri us xray x-ray cxr echo ekg ecg eeg emg
    dialysis hd cvvh cvvhd rehab snf nh ltac ltach ltc ecf alf hospice osh hospital hosp clinic clinics nursing
    surgery radiology endoscopy gi pharmacy morgue bb blood vent ventilator normal baseline nsr sinus afib a-fib
    simv cpap bipap ac ps prvc ra nc mask trach peg ngt ogt foley line lines aline a-line swan
    cardiac cardio cardiology heart pulmonary pulm lung chest renal kidney liver hepatic gi eye eyes ent derm
    pain diabetes diabetic coumadin anticoagulation anticoag lipid wound ortho orthopedic orthopedics neurology
    spine spinal pm&r pmr podiatry neurosurgery oncology onc cancer breast infusion hiv id urology uro allergy sleep
    memory walk-in urgent
    primary care family women's womens children's childrens pediatric pediatrics peds prenatal ob obgyn gyn
    fertility transplant vascular vein surgical medical medicine internal mental behavioral psych psychiatric
    psychiatry methadone addiction detox drug alcohol substance inpatient outpatient inpt outpt acute subacute
    sub-acute physical occupational speech respiratory resp vestibular stroke short-term long-term term
    skilled assisted day geriatric adult senior veterans veteran nursing emergency trauma burn intensive
    critical coronary step observation holding recovery preop pre-op postop post-op procedure procedures
    special specialty main central north south east west upper lower
    work school church store office job bed. sleep rest baseline. normal. shower chair. toilet car plane
    him her them me us it he she they we one two three four five six seven eight nine ten
    am pm today tonight tomorrow yesterday now later soon then when after before during until while since
    s/p w/ w/o p/w c/o pt pt's patient family md mds rn rns dr doctor doctors nurse nurses team staff service
    services pathology operating postanesthesia post-anesthesia anesthesia nursery newborn labor delivery l&d
    hospitalist hospitalists histology cytology laboratory department dept lab. pathology. post operative
    suite postpartum antepartum saline tunica
    see see. following follow eval evaluation further continued cont monitoring monitor management care
    be is was are were been has had have do does did not no yes all any some each every more less most
    sitter transport ambulance amb ems medflight helicopter
    leave leaving start starting begin beginning await awaiting prolonged stay return speak talk wash clean
    av sr paced pacing sinus aflutter svt vt vf pea rhythm rate rapid usoh rle lle rue lue tlc picc cvl
    bile duct site wound stool urine sputum tech foley nitro
    english spanish russian italian french german polish chinese mandarin cantonese korean vietnamese arabic
    hindi greek portuguese creole haitian japanese hebrew yiddish farsi persian tagalog somali amharic
    """.split()
)
