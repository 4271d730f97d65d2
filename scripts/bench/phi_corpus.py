"""Generate a labelled PHI evaluation set: synthetic clinical notes with gold spans, deterministic from a seed.

Real annotated notes (i2b2/n2c2 2014) cannot be redistributed, so the benchmark uses notes assembled from sentence
templates. Each template field draws a value and says whether it is PHI (and of which type) or a clinical
look-alike that must not be flagged (vitals, ratios, doses, lab strings, ICD/CPT codes, spine levels, times, years,
young ages, NPI numbers, eponyms, everyday words that are also names). About a fifth of the notes are upper-cased
whole, as many dictated notes are.

The names, cities and streets below are this file's own hand lists, not the detector's census lists, and include
names the census lists do not carry, so the name figures are not a lookup of the detector's own data.

Usage: python scripts/bench/phi_corpus.py [--seed 7] [--notes 300] [--out phi_corpus.jsonl]
Each output line: {"id": n, "text": "...", "spans": [[start, end, type], ...]}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from core.checksums import NPI_PREFIX, luhn_check_digit

Piece = tuple[str, str | None]  # (text, gold type or None)

FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Carlos Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret Donald Sandra Steven "
    "Ashley Andrew Kimberly Joshua Emily Kenneth Donna Kevin Michelle Brian Dorothy George Carol Timothy Amanda "
    "Jose Melissa Juan Deborah Luis Stephanie Priya Rebecca Wei Laura Ahmed Sharon Olga Cynthia Dmitri Kathleen "
    "Aaliyah Amy Hiroshi Angela Fatima Shirley Raj Anna Mei Brenda Kwame Pamela Ngozi Nicole Svetlana Emma "
    "Eleanor Samantha Mohammed Katherine Yusuf Christine Ana Debra Thanh Rachel Siobhan Carolyn Bogdan Janet "
    "Ingrid Catherine Tariq Maria Heather Jamal Diane Rosa Julie Keisha Joyce Marisol Virginia Imani Victoria"
).split()
LAST = (
    "Smith Johnson Williams Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson "
    "Thomas Taylor Moore Jackson Martin Lee Perez Thompson Harris Sanchez Clark Ramirez Lewis Robinson Walker "
    "Allen Nguyen Hill Flores Adams Nelson Mitchell Roberts Carter Phillips Evans Turner Torres Parker Collins "
    "Edwards Stewart Morris Murphy Cook Rogers Morgan Peterson Cooper Reed Bailey Kelly Howard Kim Cox Ward "
    "Richardson Watson Brooks Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel "
    "Myers Long Ross Foster Jimenez Okafor Nakamura Kowalczyk Szczepanski Oyelaran Abernathy Whitfield Delacroix "
    "Castellanos Van Houten Papadopoulos Chaudhry Tran Okonkwo Haddad Lindqvist Mwangi Ferreira Novak Brennan "
    "Gallagher Yamamoto Abdi Ivanova Rosenberg Fitzgerald Nowak Achebe Kaur Bui Esposito Schwartz Gutierrez"
).split()
CITIES = (
    ("Chicago", "IL", "60614"),
    ("Springfield", "IL", "62704"),
    ("Normal", "IL", "61761"),
    ("Houston", "TX", "77030"),
    ("Austin", "TX", "78701"),
    ("Phoenix", "AZ", "85004"),
    ("Denver", "CO", "80203"),
    ("Boston", "MA", "02115"),
    ("Baltimore", "MD", "21201"),
    ("Pittsburgh", "PA", "15213"),
    ("Jackson", "MS", "39201"),
    ("Mobile", "AL", "36602"),
    ("Portland", "OR", "97201"),
    ("Columbus", "OH", "43215"),
    ("Madison", "WI", "53703"),
    ("Seattle", "WA", "98104"),
    ("Atlanta", "GA", "30303"),
    ("Nashville", "TN", "37203"),
    ("Oak Park", "IL", "60302"),
    ("Ann Arbor", "MI", "48104"),
    ("Warren", "MI", "48089"),
    ("San Antonio", "TX", "78205"),
    ("Fresno", "CA", "93721"),
    ("Tucson", "AZ", "85701"),
    ("Sioux Falls", "SD", "57104"),
    ("Boise", "ID", "83702"),
    ("Albany", "NY", "12207"),
    ("Camden", "NJ", "08102"),
)
STATE_NAMES = {
    "IL": "Illinois",
    "TX": "Texas",
    "AZ": "Arizona",
    "CO": "Colorado",
    "MA": "Massachusetts",
    "MD": "Maryland",
    "PA": "Pennsylvania",
    "OH": "Ohio",
    "WA": "Washington",
    "GA": "Georgia",
}
STREETS = (
    "Main",
    "Oak",
    "Maple",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Cedar",
    "Pine",
    "Sunset",
    "Lincoln",
    "Jefferson",
    "Highland",
    "Church",
    "Spring",
    "Martin Luther King",
    "Kedzie",
    "Halsted",
    "Willow Creek",
    "5th",
)
SUFFIXES = ("St", "Street", "Ave", "Avenue", "Rd", "Road", "Blvd", "Ln", "Lane", "Dr", "Drive", "Ct", "Way", "Pl")
RELATIONS = ("daughter", "son", "wife", "husband", "sister", "brother", "mother", "niece", "caregiver", "partner")
MONTHS = ("January February March April May June July August September October November December").split()
AREA_CODES = ("312", "773", "217", "713", "512", "602", "303", "617", "410", "412", "601", "251", "503", "614", "206")

DRUGS = (
    ("metoprolol", "25 mg PO BID"),
    ("lisinopril", "10 mg daily"),
    ("aspirin", "81 mg daily"),
    ("atorvastatin", "40 mg qhs"),
    ("furosemide", "40 mg IV x1"),
    ("insulin glargine", "22 units SC qhs"),
    ("heparin", "5000 units SC q8h"),
    ("apixaban", "5 mg BID"),
    ("levothyroxine", "0.05 mg daily"),
    ("albuterol", "2 puffs q4h PRN"),
    ("acetaminophen", "650 mg q6h PRN"),
    ("ondansetron", "4 mg IV q6h PRN"),
    ("Tylenol", "500 mg x2"),
    ("Lasix", "20 mg"),
    ("Keflex", "500 mg QID x7 days"),
    ("Coumadin", "2.5 mg"),
)
ICD = ("E11.9", "I10", "I50.9", "J44.1", "N18.3", "K21.9", "M54.5", "F32.9", "E78.5", "Z79.4", "I48.91")
CPT = ("99213", "99214", "99223", "93000", "71046", "80053", "36415", "99232")


class Gen:
    """Draws field values; each field returns pieces of (text, gold type or None)."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.patient_first = rng.choice(FIRST)
        self.patient_last = rng.choice(LAST)
        self.age = rng.choice((rng.randint(20, 89), rng.randint(20, 89), rng.randint(90, 104)))
        self.city_name, self.state, self.zip = rng.choice(CITIES)
        self.doctor = (rng.choice(FIRST), rng.choice(LAST))

    # -------------------------------------------------------------- names

    def patient(self) -> list[Piece]:
        f, last = self.patient_first, self.patient_last
        form = self.r.randrange(4)
        if form == 0:
            return [(f"{f} {last}", "name")]
        if form == 1:
            return [(f"{last}, {f}", "name")]
        if form == 2:
            return [(f"{f} {self.r.choice(string.ascii_uppercase)}. {last}", "name")]
        return [(self.r.choice(("Mr. ", "Ms. ", "Mrs. ")), None), (last, "name")]

    def patient_ref(self) -> list[Piece]:
        if self.r.random() < 0.5:
            return [(self.r.choice(("Mr. ", "Ms. ", "Mrs. ")), None), (self.patient_last, "name")]
        return [("the patient", None)]

    def doctor_name(self) -> list[Piece]:
        f, last = self.doctor
        form = self.r.randrange(4)
        if form == 0:
            return [("Dr. ", None), (last, "name")]
        if form == 1:
            return [("Dr. ", None), (f"{f} {last}", "name")]
        if form == 2:
            return [(f"{f} {last}", "name"), (self.r.choice((", MD", ", DO", " MD", ", NP", ", RN", ", PA-C")), None)]
        return [("Dr ", None), (last, "name")]

    def relative(self) -> list[Piece]:
        rel = self.r.choice(RELATIONS)
        first = self.r.choice(FIRST)
        if self.r.random() < 0.4:
            return [(f"{rel} ", None), (f"{first} {self.r.choice(LAST)}", "name")]
        return [(f"{rel} ", None), (first, "name")]

    # -------------------------------------------------------------- dates and ages

    def _day(self, start: int = 1930, end: int = 2024) -> date:
        return date(start, 1, 1) + timedelta(days=self.r.randrange((date(end, 12, 31) - date(start, 1, 1)).days))

    def _format(self, d: date) -> str:
        m = MONTHS[d.month - 1]
        return self.r.choice(
            (
                f"{d.month:02d}/{d.day:02d}/{d.year}",
                f"{d.month}/{d.day}/{d.year}",
                f"{d.month}-{d.day}-{d.year % 100:02d}",
                f"{d.year}-{d.month:02d}-{d.day:02d}",
                f"{d.day} {m[:3]} {d.year}",
                f"{m} {d.day}, {d.year}",
                f"{m[:3]} {d.day}, {d.year}",
                f"{m} {d.day}{_ordinal(d.day)}, {d.year}",
                f"{d.day:02d}-{m[:3].upper()}-{d.year}",
                f"{d.month}/{d.day}/{d.year % 100:02d}",
            )
        )

    def dob(self) -> list[Piece]:
        return [(self._format(self._day(1920, 2005)), "date_of_birth")]

    def date(self) -> list[Piece]:
        d = self._day(2015, 2024)
        if self.r.random() < 0.15:
            m = MONTHS[d.month - 1]
            return [(self.r.choice((f"{m} {d.day}", f"{m[:3]} {d.day}", f"{m} {d.year}")), "date")]
        return [(self._format(d), "date")]

    def short_date(self) -> list[Piece]:
        d = self._day(2015, 2024)
        return [(f"{d.month}/{d.day}", "date")]

    def age_phrase(self) -> list[Piece]:
        a = self.age
        form = self.r.choice(("{} yo", "{} y/o", "{}-year-old", "{} year old", "age {}"))
        pre, _, post = form.partition("{}")
        return [(pre, None), (str(a), "age_over_89" if a >= 90 else None), (post, None)]

    # -------------------------------------------------------------- contact and address

    def phone(self) -> list[Piece]:
        a, x, n = self.r.choice(AREA_CODES), self.r.randint(201, 998), self.r.randint(0, 9999)
        if x % 100 == 11 or x == 555:  # N11 exchanges are services; 555 numbers mostly unassigned
            x, n = 555, self.r.randint(100, 199)  # 555-0100..0199: reserved for fiction, and valid
        return [
            (
                self.r.choice((f"({a}) {x}-{n:04d}", f"{a}-{x}-{n:04d}", f"{a}.{x}.{n:04d}", f"+1 {a} {x} {n:04d}")),
                "phone",
            )
        ]

    def fax(self) -> list[Piece]:
        return [(self.phone()[0][0], "fax")]

    def email(self) -> list[Piece]:
        f, last = self.patient_first.lower(), self.patient_last.lower().replace(" ", "")
        dom = self.r.choice(("gmail.com", "yahoo.com", "outlook.com", "comcast.net", "uchicago.edu"))
        return [(self.r.choice((f"{f}.{last}@{dom}", f"{f[0]}{last}{self.r.randint(1, 99)}@{dom}")), "email")]

    def street(self) -> list[Piece]:
        num = self.r.randint(1, 9999)
        s = f"{num} {self.r.choice(('', '', 'N ', 'W ', 'S. '))}{self.r.choice(STREETS)} {self.r.choice(SUFFIXES)}"
        if self.r.random() < 0.3:
            s += self.r.choice(
                (f" Apt {self.r.randint(1, 30)}", f", Apt {self.r.randint(1, 30)}B", f" #{self.r.randint(1, 9)}")
            )
        return [(s, "street_address")]

    def city_state_zip(self) -> list[Piece]:
        if self.r.random() < 0.2 and self.state in STATE_NAMES:
            return [(self.city_name, "city"), (f", {STATE_NAMES[self.state]} ", None), (self.zip, "zip_code")]
        return [(self.city_name, "city"), (f", {self.state} ", None), (self.zip, "zip_code")]

    def city(self) -> list[Piece]:
        return [(self.city_name, "city")]

    # -------------------------------------------------------------- ids

    def ssn(self) -> list[Piece]:
        while True:
            a, g, s = self.r.randint(1, 899), self.r.randint(1, 99), self.r.randint(1, 9999)
            if a != 666:
                break
        return [(self.r.choice((f"{a:03d}-{g:02d}-{s:04d}", f"{a:03d} {g:02d} {s:04d}")), "ssn")]

    def itin(self) -> list[Piece]:
        g = self.r.choice((*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)))
        return [(f"9{self.r.randint(0, 99):02d}-{g}-{self.r.randint(1, 9999):04d}", "ssn")]

    def mrn(self) -> list[Piece]:
        return [
            (
                self.r.choice((f"{self.r.randint(10**6, 10**8 - 1):08d}", f"MR{self.r.randint(10**5, 10**7)}")),
                "medical_record",
            )
        ]

    def member_id(self) -> list[Piece]:
        p = "".join(self.r.choices(string.ascii_uppercase, k=3))
        return [
            (
                self.r.choice((f"{p}{self.r.randint(10**8, 10**9 - 1)}", f"W{self.r.randint(10**7, 10**8)}")),
                "health_plan_id",
            )
        ]

    def mbi(self) -> list[Piece]:
        letters = "ACDEFGHJKMNPQRTUVWXY"
        c = self.r.choice
        value = (
            f"{self.r.randint(1, 9)}{c(letters)}{c(letters + '0123456789')}{self.r.randint(0, 9)}{c(letters)}"
            f"{c(letters + '0123456789')}{self.r.randint(0, 9)}{c(letters)}{c(letters)}{self.r.randint(10, 99)}"
        )
        return [(value, "health_plan_id")]

    def account(self) -> list[Piece]:
        return [
            (
                self.r.choice(
                    (f"{self.r.randint(10**7, 10**10)}", f"{self.r.randint(1000, 9999)}-{self.r.randint(1000, 99999)}")
                ),
                "account_number",
            )
        ]

    def card(self) -> list[Piece]:
        digits = [4] + [self.r.randint(0, 9) for _ in range(14)]
        digits.append(luhn_check_digit("".join(map(str, digits))))
        s = "".join(map(str, digits))
        return [(self.r.choice((s, " ".join(s[i : i + 4] for i in range(0, 16, 4)))), "account_number")]

    def license(self) -> list[Piece]:
        return [(f"{self.r.choice(string.ascii_uppercase)}{self.r.randint(10**6, 10**8)}", "license_number")]

    def dea(self) -> list[Piece]:
        d = [self.r.randint(0, 9) for _ in range(6)]
        check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
        letters = self.r.choice("ABFM") + self.doctor[1][0].upper()
        return [(letters + "".join(map(str, d)) + str(check), "license_number")]

    def npi(self) -> list[Piece]:  # a provider id: not patient PHI in this evaluation (see core/phi/__init__.py)
        base = [self.r.randint(1, 9)] + [self.r.randint(0, 9) for _ in range(8)]
        check = luhn_check_digit(NPI_PREFIX + "".join(map(str, base)))
        return [("".join(map(str, base)) + str(check), None)]

    def vin(self) -> list[Piece]:
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        body = [self.r.choice("12345")] + [self.r.choice(chars) for _ in range(16)]
        body[8] = _vin_check(body)
        return [("".join(body), "vehicle_id")]

    def plate(self) -> list[Piece]:
        p = "".join(self.r.choices(string.ascii_uppercase, k=3))
        return [
            (
                self.r.choice(
                    (
                        f"{p} {self.r.randint(1000, 9999)}",
                        f"{p}-{self.r.randint(100, 999)}",
                        f"{self.r.randint(1, 9)}{p}{self.r.randint(100, 999)}",
                    )
                ),
                "vehicle_id",
            )
        ]

    def serial(self) -> list[Piece]:
        p = "".join(self.r.choices(string.ascii_uppercase, k=self.r.randint(2, 3)))
        return [(f"{p}{self.r.randint(10**5, 10**8)}", "device_id")]

    def encounter(self) -> list[Piece]:
        return [(str(self.r.randint(10**6, 10**9)), "other_id")]

    def ip(self) -> list[Piece]:
        if self.r.random() < 0.25:
            return [(f"2001:db8:{self.r.randint(0, 0xFFFF):x}::{self.r.randint(1, 0xFFFF):x}", "ip_address")]
        return [(".".join(str(self.r.randint(1, 254)) for _ in range(4)), "ip_address")]

    def url(self) -> list[Piece]:
        return [
            (
                self.r.choice(
                    (
                        f"https://mychart.example-health.org/visit/{self.r.randint(1000, 99999)}",
                        f"www.{self.patient_last.lower().replace(' ', '')}family.com",
                        f"http://portal.stjoes.org/p?id={self.r.randint(100, 999)}",
                    )
                ),
                "url",
            )
        ]

    # -------------------------------------------------------------- look-alikes (gold: nothing)

    def vitals(self) -> list[Piece]:
        r = self.r
        return [
            (
                f"BP {r.randint(95, 180)}/{r.randint(55, 105)}, HR {r.randint(50, 120)}, RR {r.randint(12, 28)}, "
                f"T {r.randint(970, 1024) / 10}F, SpO2 {r.randint(88, 100)}% on {r.choice(('RA', '2L NC'))}. "
                f"Wt {r.randint(45, 140)} kg, Ht {r.randint(4, 6)}'{r.randint(0, 11)}\".",
                None,
            )
        ]

    def labs(self) -> list[Piece]:
        r = self.r
        return [
            (
                f"Na {r.randint(128, 146)}, K {r.randint(30, 55) / 10}, Cr {r.randint(6, 40) / 10}, "
                f"WBC {r.randint(30, 180) / 10}, Hgb {r.randint(70, 160) / 10}. "
                f"ABG {r.randint(720, 745) / 100}/{r.randint(25, 60)}/{r.randint(55, 110)}, "
                f"lactate {r.randint(5, 40) / 10}. "
                f"A1c {r.randint(50, 120) / 10}%, INR {r.randint(9, 35) / 10}.",
                None,
            )
        ]

    def meds(self) -> list[Piece]:
        chosen = self.r.sample(DRUGS, 3)
        return [("; ".join(f"{d} {dose}" for d, dose in chosen) + ".", None)]

    def codes(self) -> list[Piece]:
        return [(f"Dx {self.r.choice(ICD)}, {self.r.choice(ICD)}; CPT {self.r.choice(CPT)}.", None)]

    def lookalike(self) -> list[Piece]:
        r = self.r
        choices = (
            f"{r.randint(1, 4)}/6 systolic murmur at LUSB",
            f"MRI: disc bulge at L{r.randint(1, 4)}-L{r.randint(2, 5)}",
            f"seen at {r.randint(7, 12)}:{r.choice(('00', '15', '30', '45'))}",
            "SHIFT.PR noted",
            f"pain {r.randint(2, 9)}/10",
            f"cough x{r.randint(2, 9)} days",
            f"diagnosed in {r.randint(1995, 2023)}",
            f"{r.randint(20, 89)} yo",
            "Allen test negative",
            "Murphy sign negative",
            "Graves disease",
            "Foley catheter in place",
            "brown sputum",
            "will follow up",
            "may return PRN",
            "Homan sign negative",
            "Parkinson's disease",
            "Bell palsy",
            f"lot {r.randint(10**6, 10**8)}",
            f"{r.randint(1, 3)} tabs x{r.randint(3, 14)} days",
            "Glasgow Coma Scale 15",
            f"EF {r.randint(20, 65)}%",
            f"{r.randint(1, 20)}.{r.randint(0, 9)} cm lesion",
            f"room {r.randint(100, 999)}",
            f"G{r.randint(1, 5)}P{r.randint(0, 4)}",
            f"QTc {r.randint(380, 520)} ms",
            f"{r.randint(1, 12)}/{r.randint(2, 4)} strength",
        )
        return [(r.choice(choices), None)]


def _ordinal(day: int) -> str:
    return "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _vin_check(body: list[str]) -> str:
    values = {
        **{str(i): i for i in range(10)},
        **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
        **dict(zip("JKLMN", range(1, 6), strict=True)),
        "P": 7,
        "R": 9,
        **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
    }
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    total = sum(values[c] * w for c, w in zip(body, weights, strict=True) if c != "?")
    check = total % 11
    return "X" if check == 10 else str(check)


# Sentence templates: "{field}" draws from Gen; everything else is plain text.
HEADER = (
    "Patient: {patient}\nDOB: {dob}\nMRN: {mrn}\n",
    "Name: {patient}   D.O.B. {dob}   MR# {mrn}   Acct #: {account}\n",
    "PATIENT NAME: {patient}\nDATE OF BIRTH: {dob}\nMEDICAL RECORD NUMBER: {mrn}\nDATE OF SERVICE: {date}\n",
    "{patient} (DOB {dob}), MRN {mrn}, seen {date}.\n",
)
BODY = (
    "HPI: {age_phrase} with h/o HTN, DM2 and CHF presents with chest pain. {vitals} {labs}",
    "{patient_ref} was admitted on {date} and discharged on {date}. Follow-up with {doctor_name} on {short_date}.",
    "Meds: {meds} Allergies: NKDA. {codes}",
    "Social: lives with {relative} at {street}, {city_state_zip}. Contact {relative} at {phone}.",
    "Lives in {city} with her {relative}. Former smoker, quit in 2010. {lookalike}.",
    "Insurance: member ID {member_id}, policy # {member_id}. Medicare MBI {mbi}.",
    "Billing: account number {account}; card on file {card}.",
    "SSN: {ssn}. ITIN {itin}. Pt prefers email {email}.",
    "Referred by {doctor_name} (NPI {npi}, DEA {dea}). Please fax records to {fax}.",
    "Pacemaker serial no. {serial} interrogated; device functioning. {lookalike}.",
    "MVA: driver, vehicle plate {plate}, VIN {vin}. {lookalike}; {lookalike}.",
    "Patient portal login from IP {ip}; message sent via {url}.",
    "Encounter # {encounter}. Exam: {lookalike}, {lookalike}. {vitals}",
    "Assessment: {age_phrase} with COPD exacerbation. {lookalike}. {codes} Plan: {meds}",
    "Seen by {doctor_name} at 10:30. {patient_ref} reports {lookalike}. Next appointment {date}.",
    "Driver's license {license}. Emergency contact: {relative}, phone {phone}.",
    "A {age_phrase} retired teacher from {city}, {state_only}. {labs}",
    "{lookalike}. {lookalike}. {vitals} {labs} {meds}",
    "Called {relative} on {date} to discuss the plan; {relative} agrees. {lookalike}.",
)
FOOTER = (
    "\nElectronically signed by: {doctor_name} {date}",
    "\nDictated by {doctor_name}. Cosigned by {doctor_name}.",
    "\n-- {doctor_name}, pager {phone}",
    "\nAttending: {doctor_name}",
)
_FIELD = re.compile(r"\{(\w+)\}")


def make_note(rng: random.Random) -> tuple[str, list[list[object]]]:
    gen = Gen(rng)
    fields: dict[str, Callable[[], list[Piece]]] = {
        "patient": gen.patient,
        "patient_ref": gen.patient_ref,
        "doctor_name": gen.doctor_name,
        "relative": gen.relative,
        "dob": gen.dob,
        "date": gen.date,
        "short_date": gen.short_date,
        "age_phrase": gen.age_phrase,
        "phone": gen.phone,
        "fax": gen.fax,
        "email": gen.email,
        "street": gen.street,
        "city_state_zip": gen.city_state_zip,
        "city": gen.city,
        "state_only": lambda: [(gen.state, None)],
        "ssn": gen.ssn,
        "itin": gen.itin,
        "mrn": gen.mrn,
        "member_id": gen.member_id,
        "mbi": gen.mbi,
        "account": gen.account,
        "card": gen.card,
        "license": gen.license,
        "dea": gen.dea,
        "npi": gen.npi,
        "vin": gen.vin,
        "plate": gen.plate,
        "serial": gen.serial,
        "encounter": gen.encounter,
        "ip": gen.ip,
        "url": gen.url,
        "vitals": gen.vitals,
        "labs": gen.labs,
        "meds": gen.meds,
        "codes": gen.codes,
        "lookalike": gen.lookalike,
    }
    templates = [rng.choice(HEADER), *rng.sample(BODY, rng.randint(5, 9)), rng.choice(FOOTER)]
    text_parts: list[str] = []
    spans: list[list[object]] = []
    pos = 0
    for template in templates:
        chunks = _FIELD.split(template)
        for i, chunk in enumerate(chunks):
            pieces = fields[chunk]() if i % 2 else [(chunk, None)]
            for piece, kind in pieces:
                if kind:
                    spans.append([pos, pos + len(piece), kind])
                text_parts.append(piece)
                pos += len(piece)
        text_parts.append(" " if not template.endswith("\n") else "")
        pos += 0 if template.endswith("\n") else 1
    text = "".join(text_parts)
    if rng.random() < 0.2:
        text = text.upper()  # ASCII only: offsets unchanged
    return text, spans


def generate(seed: int = 7, notes: int = 300) -> list[dict[str, object]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    out = []
    for i in range(notes):
        text, spans = make_note(rng)
        out.append({"id": i, "text": text, "spans": spans})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None, help="JSONL file (default: standard output)")
    args = parser.parse_args(argv)
    rows = generate(args.seed, args.notes)
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    if args.out:
        args.out.write_text(lines)
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
