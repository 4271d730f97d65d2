"""Clinical content for simulated visits: conditions, history, vitals, findings and plans, with randomised values.

The simulated doctors (`core.training.simulated_doctors`) write the same kind of visit in different styles; what
differs between two notes of one doctor is the visit drawn here — one of several dozen conditions, a patient's age,
sex, history and medicines, vitals inside the condition's range, a subset of its symptoms, findings and plan items —
so that a doctor's notes are not near-duplicates of each other and an adapter has to learn the form, not the text.

Templates: `{a|b|c}` is one of the choices, `{12-18}` a whole number in the range, `{7.5-10.5}` a number with as many
decimals as the lower bound. There are no names, no dates, no places and no ages of 90 or more in any of it: the
samples must pass de-identification untouched.
"""

# ruff: noqa: E501  (the conditions are a table, one field per line; wrapping the long ones would hide that)

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_CHOICE = re.compile(r"\{([^{}]*\|[^{}]*)\}")
_RANGE = re.compile(r"\{(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\}")


def fill(template: str, rng: random.Random, side: str | None = None) -> str:
    """The template with its choices made and its ranges drawn (see the module's docstring); `side`, when given, is
    the choice of every `{right|left}`, so that one visit keeps to one side."""
    if side:
        template = template.replace("{right|left}", side)

    def number(m: re.Match[str]) -> str:
        lo, hi = m.group(1), m.group(2)
        if "." not in lo:
            return str(rng.randint(int(lo), int(hi)))
        decimals = len(lo.split(".")[1])
        return f"{rng.uniform(float(lo), float(hi)):.{decimals}f}"

    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    return _RANGE.sub(number, text)


@dataclass(frozen=True)
class Condition:
    """A reason for a visit. `vitals` names a profile of `VITAL_PROFILES`; `duration` is (low, high, unit)."""

    diagnosis: str
    complaint: str
    duration: tuple[int, int, str]
    symptoms: tuple[str, ...]
    negatives: tuple[str, ...]
    exam: tuple[str, ...]
    results: tuple[str, ...]
    plan: tuple[str, ...]
    follow_up: str
    vitals: str = "normal"
    sex: str = ""  # "female" or "male" when the condition is one sex's


# fmt: off
CONDITIONS: tuple[Condition, ...] = (
    Condition("community-acquired pneumonia", "productive cough", (2, 7, "days"),
              ("fevers", "pleuritic chest pain", "shortness of breath", "chills", "fatigue"),
              ("hemoptysis", "leg swelling", "recent travel"),
              ("crackles at the {right|left} base", "egophony at the {right|left} base", "mild tachypnea"),
              ("chest X-ray with {right|left} lower lobe consolidation", "white blood cell count {11.0-18.5}"),
              ("amoxicillin {1 g three times daily|875 mg twice daily} for {5|7} days", "add azithromycin for 3 days",
               "encourage fluids and rest", "return to the emergency department for worsening shortness of breath"),
              "{1|2} weeks", "febrile"),
    Condition("acute bronchitis", "cough", (5, 14, "days"),
              ("scant clear sputum", "mild wheeze", "sore throat", "low-grade fevers early on"),
              ("hemoptysis", "shortness of breath at rest", "weight loss"),
              ("scattered rhonchi that clear with coughing", "no focal crackles", "normal work of breathing"),
              ("chest X-ray clear",),
              ("no antibiotics indicated", "honey and fluids for symptomatic relief",
               "albuterol inhaler 2 puffs every 6 hours as needed", "expect the cough to last up to 3 weeks"),
              "{2|3} weeks"),
    Condition("asthma exacerbation", "wheezing", (1, 4, "days"),
              ("chest tightness", "nighttime cough", "shortness of breath with exertion", "albuterol use every few hours"),
              ("fevers", "chest pain", "leg swelling"),
              ("diffuse expiratory wheezes", "prolonged expiratory phase", "speaks in full sentences"),
              ("peak flow {55-75}% of personal best",),
              ("prednisone 40 mg daily for 5 days", "albuterol 2 puffs every 4 hours as needed",
               "start budesonide-formoterol twice daily", "review inhaler technique"),
              "{1|2} weeks"),
    Condition("chronic obstructive pulmonary disease exacerbation", "increased shortness of breath", (2, 6, "days"),
              ("increased sputum volume", "change in sputum color", "wheezing", "reduced exercise tolerance"),
              ("chest pain", "fevers above 101", "leg swelling"),
              ("diffuse wheezes", "poor air movement at the bases", "pursed-lip breathing"),
              ("chest X-ray with hyperinflation and no infiltrate", "oxygen saturation {88-92}% on room air"),
              ("prednisone 40 mg daily for 5 days", "doxycycline 100 mg twice daily for 5 days",
               "continue tiotropium", "smoking cessation counseling given"),
              "{1|2} weeks", "tachy"),
    Condition("upper respiratory infection", "nasal congestion", (2, 6, "days"),
              ("rhinorrhea", "sore throat", "mild cough", "sneezing"),
              ("shortness of breath", "ear pain", "high fevers"),
              ("clear rhinorrhea", "mildly erythematous pharynx without exudate", "lungs clear"),
              (),
              ("supportive care with fluids and rest", "saline nasal spray", "acetaminophen as needed",
               "return if symptoms last beyond 10 days"),
              "as needed"),
    Condition("streptococcal pharyngitis", "sore throat", (1, 4, "days"),
              ("fevers", "painful swallowing", "headache"),
              ("cough", "rhinorrhea", "drooling"),
              ("tonsillar exudate", "tender anterior cervical nodes", "no uvular deviation"),
              ("rapid strep test positive",),
              ("amoxicillin 500 mg twice daily for 10 days", "ibuprofen as needed for pain",
               "stay home until 24 hours on antibiotics"),
              "as needed", "febrile"),
    Condition("acute otitis media", "{right|left} ear pain", (1, 3, "days"),
              ("fevers", "muffled hearing", "recent cold"),
              ("ear drainage", "dizziness"),
              ("bulging erythematous tympanic membrane", "no mastoid tenderness"),
              (),
              ("amoxicillin {500|875} mg twice daily for 7 days", "ibuprofen as needed", "recheck if not better in 3 days"),
              "{2|3} weeks", "febrile"),
    Condition("acute sinusitis", "facial pressure", (10, 20, "days"),
              ("purulent nasal discharge", "maxillary tooth pain", "postnasal drip"),
              ("vision change", "severe headache", "neck stiffness"),
              ("maxillary sinus tenderness", "purulent drainage in the nares"),
              (),
              ("amoxicillin-clavulanate 875 mg twice daily for 7 days", "nasal saline irrigation",
               "fluticasone nasal spray daily"),
              "as needed"),
    Condition("essential hypertension", "elevated home blood pressures", (3, 8, "weeks"),
              ("occasional headaches", "home readings around {145-165}/{90-100}"),
              ("chest pain", "vision change", "shortness of breath"),
              ("normal heart sounds without murmur", "no peripheral edema"),
              ("basic metabolic panel normal", "creatinine {0.7-1.1}"),
              ("start {lisinopril 10 mg|amlodipine 5 mg|losartan 50 mg} daily", "reduce dietary sodium",
               "home blood pressure log twice daily", "recheck basic metabolic panel in 2 weeks"),
              "{4|6} weeks", "hypertensive"),
    Condition("type 2 diabetes", "follow-up of diabetes", (3, 6, "months"),
              ("fasting sugars {140-190}", "mild polyuria", "fatigue"),
              ("hypoglycemia", "foot ulcers", "vision change"),
              ("monofilament sensation intact", "no foot lesions", "normal pedal pulses"),
              ("hemoglobin A1c {7.6-9.8}%", "creatinine {0.8-1.3}"),
              ("increase metformin to 1000 mg twice daily", "start {empagliflozin 10 mg|semaglutide 0.25 mg weekly}",
               "diabetes education referral", "annual eye exam"),
              "3 months"),
    Condition("hyperlipidemia", "review of cholesterol results", (1, 2, "weeks"),
              ("no muscle aches on current therapy",),
              ("chest pain", "claudication"),
              ("normal heart sounds", "no xanthomas"),
              ("LDL {135-190}", "triglycerides {160-290}"),
              ("start atorvastatin {20|40} mg at bedtime", "Mediterranean-style diet", "repeat lipid panel in 3 months"),
              "3 months"),
    Condition("hypothyroidism", "fatigue", (1, 3, "months"),
              ("cold intolerance", "weight gain of {3-9} pounds", "constipation", "dry skin"),
              ("palpitations", "tremor"),
              ("no thyromegaly", "delayed relaxation of reflexes"),
              ("thyroid-stimulating hormone {6.5-14.0}", "free T4 low normal"),
              ("start levothyroxine {25|50} mcg daily on an empty stomach", "recheck thyroid-stimulating hormone in 6 weeks"),
              "6 weeks"),
    Condition("gastroesophageal reflux disease", "heartburn", (1, 4, "months"),
              ("regurgitation after meals", "worse lying flat", "sour taste in the mouth"),
              ("dysphagia", "weight loss", "black stools"),
              ("mild epigastric tenderness", "no masses"),
              (),
              ("omeprazole 20 mg daily before breakfast for 8 weeks", "avoid late meals",
               "raise the head of the bed", "reassess need for therapy after 8 weeks"),
              "8 weeks"),
    Condition("acute gastroenteritis", "diarrhea", (1, 3, "days"),
              ("nausea and vomiting", "crampy abdominal pain", "sick contacts at home"),
              ("blood in the stool", "high fevers", "recent antibiotics"),
              ("mildly dry mucous membranes", "soft abdomen with hyperactive bowel sounds", "no rebound"),
              (),
              ("oral rehydration", "ondansetron 4 mg every 8 hours as needed", "bland diet as tolerated",
               "return if unable to keep fluids down"),
              "as needed", "tachy"),
    Condition("urinary tract infection", "painful urination", (1, 4, "days"),
              ("urinary frequency", "urgency", "suprapubic discomfort"),
              ("flank pain", "fevers", "vaginal discharge"),
              ("mild suprapubic tenderness", "no costovertebral angle tenderness"),
              ("urinalysis positive for leukocyte esterase and nitrites",),
              ("nitrofurantoin 100 mg twice daily for 5 days", "urine culture sent", "increase fluids"),
              "as needed"),
    Condition("acute pyelonephritis", "{right|left} flank pain", (1, 3, "days"),
              ("fevers", "chills", "nausea", "painful urination"),
              ("gross hematuria", "vaginal discharge"),
              ("{right|left} costovertebral angle tenderness", "mild suprapubic tenderness"),
              ("urinalysis with pyuria", "white blood cell count {12.0-17.5}"),
              ("ciprofloxacin 500 mg twice daily for 7 days", "urine culture sent", "ondansetron as needed",
               "low threshold for admission if vomiting"),
              "{3|5} days", "febrile"),
    Condition("kidney stone", "{right|left} flank pain", (1, 2, "days"),
              ("colicky pain radiating to the groin", "nausea", "blood in the urine"),
              ("fevers", "painful urination"),
              ("{right|left} costovertebral angle tenderness", "abdomen soft"),
              ("urinalysis with blood", "CT showing a {3-6} mm distal ureteral stone"),
              ("tamsulosin 0.4 mg daily", "ibuprofen 600 mg every 6 hours as needed", "strain the urine",
               "urology referral if not passed in 2 weeks"),
              "2 weeks", "tachy"),
    Condition("biliary colic", "right upper quadrant pain", (1, 3, "weeks"),
              ("pain after fatty meals", "nausea", "episodes lasting {1-4} hours"),
              ("jaundice", "fevers", "dark urine"),
              ("right upper quadrant tenderness without guarding", "negative sonographic sign"),
              ("ultrasound with gallstones and no wall thickening", "liver tests normal"),
              ("low-fat diet", "general surgery referral for elective cholecystectomy",
               "return for fevers or persistent pain"),
              "{2|4} weeks"),
    Condition("irritable bowel syndrome", "abdominal cramping", (3, 9, "months"),
              ("alternating constipation and diarrhea", "bloating", "relief after bowel movements"),
              ("blood in the stool", "weight loss", "nocturnal symptoms"),
              ("soft abdomen with mild diffuse tenderness", "no masses"),
              ("complete blood count normal", "celiac screen negative"),
              ("soluble fiber supplement", "low FODMAP diet trial", "dicyclomine 20 mg as needed for cramps"),
              "{6|8} weeks"),
    Condition("low back pain", "low back pain", (3, 21, "days"),
              ("pain after lifting", "worse with bending", "stiffness in the morning"),
              ("leg weakness", "bowel or bladder change", "saddle numbness", "fevers"),
              ("paraspinal muscle tenderness", "negative straight leg raise", "normal lower extremity strength"),
              (),
              ("ibuprofen 600 mg three times daily with food", "stay active as tolerated", "physical therapy referral",
               "heat to the lower back"),
              "{2|4} weeks"),
    Condition("lumbar radiculopathy", "{right|left} leg pain", (2, 6, "weeks"),
              ("shooting pain below the knee", "tingling in the foot", "worse with sitting"),
              ("bowel or bladder change", "saddle numbness"),
              ("positive straight leg raise on the {right|left}", "reduced ankle reflex", "strength 5/5 throughout"),
              (),
              ("physical therapy referral", "gabapentin 300 mg at bedtime", "MRI if no better in 6 weeks"),
              "{4|6} weeks"),
    Condition("knee osteoarthritis", "{right|left} knee pain", (4, 12, "months"),
              ("pain with stairs", "morning stiffness under 30 minutes", "occasional swelling"),
              ("locking", "giving way", "fevers"),
              ("crepitus with range of motion", "small effusion", "medial joint line tenderness"),
              ("X-ray with medial joint space narrowing",),
              ("quadriceps strengthening program", "topical diclofenac four times daily",
               "weight loss discussed", "consider steroid injection if no better"),
              "3 months"),
    Condition("rotator cuff tendinopathy", "{right|left} shoulder pain", (3, 10, "weeks"),
              ("pain reaching overhead", "pain lying on the shoulder at night"),
              ("neck pain", "numbness in the hand", "trauma"),
              ("painful arc between 60 and 120 degrees", "positive impingement signs", "full strength"),
              (),
              ("physical therapy referral", "naproxen 500 mg twice daily with food for 2 weeks",
               "avoid overhead lifting"),
              "6 weeks"),
    Condition("ankle sprain", "{right|left} ankle pain", (1, 4, "days"),
              ("inversion injury playing sports", "swelling", "pain bearing weight"),
              ("numbness", "previous ankle injury"),
              ("swelling over the anterior talofibular ligament", "no bony tenderness", "able to bear weight"),
              (),
              ("rest, ice, compression and elevation", "ankle brace", "ibuprofen as needed",
               "balance exercises once pain allows"),
              "{2|3} weeks"),
    Condition("gout flare", "{right|left} big toe pain", (1, 3, "days"),
              ("sudden onset overnight", "redness", "unable to wear a shoe"),
              ("fevers", "trauma"),
              ("erythematous, warm and swollen first metatarsophalangeal joint", "exquisite tenderness"),
              ("uric acid {7.8-10.5}",),
              ("colchicine 0.6 mg twice daily until the flare settles", "ice and elevation",
               "limit alcohol and red meat", "discuss allopurinol after the flare"),
              "{2|4} weeks"),
    Condition("migraine", "headaches", (2, 8, "months"),
              ("throbbing unilateral pain", "light sensitivity", "nausea with attacks", "{2-6} attacks a month"),
              ("focal weakness", "worst headache of life", "fevers", "neck stiffness"),
              ("normal neurologic exam", "normal fundi"),
              (),
              ("sumatriptan 50 mg at onset, may repeat once", "headache diary", "start propranolol 40 mg daily for prevention",
               "limit analgesics to 2 days a week"),
              "{6|8} weeks"),
    Condition("tension-type headache", "headaches", (3, 10, "weeks"),
              ("band-like pressure", "worse with stress", "neck tightness"),
              ("nausea", "visual aura", "focal weakness"),
              ("normal neurologic exam", "pericranial muscle tenderness"),
              (),
              ("acetaminophen as needed, no more than 2 days a week", "stress reduction", "regular sleep schedule"),
              "{6|8} weeks"),
    Condition("benign paroxysmal positional vertigo", "dizziness", (2, 10, "days"),
              ("spinning with head turns", "episodes lasting under a minute", "nausea"),
              ("hearing loss", "headache", "double vision", "weakness"),
              ("positional nystagmus on the {right|left}", "normal neurologic exam"),
              (),
              ("canalith repositioning performed in clinic", "home repositioning exercises", "fall precautions"),
              "{2|3} weeks"),
    Condition("generalized anxiety disorder", "worry and poor sleep", (3, 12, "months"),
              ("restlessness", "muscle tension", "difficulty concentrating"),
              ("suicidal thoughts", "substance use", "panic attacks"),
              ("anxious affect", "linear thought process", "no tremor"),
              ("GAD-7 score {11-18}", "thyroid-stimulating hormone normal"),
              ("start sertraline 25 mg daily, increase to 50 mg in 1 week", "referral for cognitive behavioral therapy",
               "sleep hygiene reviewed"),
              "{4|6} weeks"),
    Condition("major depression", "low mood", (2, 6, "months"),
              ("loss of interest", "poor energy", "early waking", "poor concentration"),
              ("suicidal thoughts", "psychotic symptoms", "alcohol misuse"),
              ("flat affect", "normal speech", "good eye contact"),
              ("PHQ-9 score {12-20}",),
              ("start {sertraline 50 mg|escitalopram 10 mg} daily", "therapy referral",
               "safety plan discussed", "crisis line information given"),
              "{2|4} weeks"),
    Condition("insomnia", "trouble sleeping", (2, 8, "months"),
              ("difficulty falling asleep", "waking at night", "daytime fatigue"),
              ("snoring", "witnessed apneas", "low mood"),
              ("well appearing", "normal affect"),
              (),
              ("cognitive behavioral therapy for insomnia", "fixed wake time", "no screens an hour before bed",
               "avoid caffeine after noon"),
              "{6|8} weeks"),
    Condition("atrial fibrillation", "palpitations", (1, 3, "weeks"),
              ("intermittent racing heart", "fatigue", "mild dyspnea on exertion"),
              ("syncope", "chest pain"),
              ("irregularly irregular rhythm", "no murmur", "no edema"),
              ("electrocardiogram with atrial fibrillation at {98-124}", "thyroid-stimulating hormone normal"),
              ("start metoprolol succinate {25|50} mg daily", "start apixaban 5 mg twice daily",
               "echocardiogram ordered", "cardiology referral"),
              "{2|4} weeks", "tachy"),
    Condition("stable angina", "exertional chest pressure", (2, 6, "weeks"),
              ("pressure after {1|2} blocks of walking", "relief with rest", "mild shortness of breath"),
              ("pain at rest", "syncope", "palpitations"),
              ("normal heart sounds", "clear lungs", "no edema"),
              ("electrocardiogram without acute changes",),
              ("aspirin 81 mg daily", "nitroglycerin 0.4 mg sublingual as needed", "start atorvastatin 80 mg daily",
               "exercise stress test ordered", "call emergency services for pain at rest"),
              "{1|2} weeks", "hypertensive"),
    Condition("heart failure exacerbation", "leg swelling", (1, 3, "weeks"),
              ("weight gain of {4-9} pounds", "orthopnea", "dyspnea on exertion"),
              ("chest pain", "fevers"),
              ("bibasilar crackles", "jugular venous distension", "{2|3}+ pitting edema to the shins"),
              ("BNP {650-1400}", "chest X-ray with small effusions"),
              ("increase furosemide to 40 mg twice daily", "daily weights", "2 gram sodium diet",
               "basic metabolic panel in 3 days"),
              "1 week", "tachy"),
    Condition("deep vein thrombosis", "{right|left} calf swelling", (2, 5, "days"),
              ("calf pain", "warmth", "recent long car trip"),
              ("shortness of breath", "chest pain", "hemoptysis"),
              ("calf circumference {2-4} cm greater than the other side", "calf tenderness"),
              ("ultrasound with popliteal vein thrombosis",),
              ("start apixaban 10 mg twice daily for 7 days then 5 mg twice daily",
               "compression stocking once pain allows", "return for chest pain or shortness of breath"),
              "{1|2} weeks"),
    Condition("iron deficiency anemia", "fatigue", (1, 4, "months"),
              ("heavy menstrual periods", "exertional dyspnea", "ice cravings"),
              ("black stools", "weight loss"),
              ("conjunctival pallor", "no hepatosplenomegaly"),
              ("hemoglobin {8.6-10.8}", "ferritin {4-12}"),
              ("ferrous sulfate 325 mg every other day", "gynecology referral", "repeat complete blood count in 6 weeks"),
              "6 weeks", sex="female"),
    Condition("cellulitis", "{right|left} lower leg redness", (1, 4, "days"),
              ("warmth", "tenderness", "small cut on the shin last week"),
              ("fevers", "rigors", "foul drainage"),
              ("{8-15} cm area of erythema with warmth", "no fluctuance", "borders marked"),
              (),
              ("cephalexin 500 mg four times daily for 7 days", "elevate the leg", "return if the redness spreads"),
              "{2|3} days"),
    Condition("atopic dermatitis", "itchy rash", (2, 8, "weeks"),
              ("dry patches on the flexures", "worse at night", "history of asthma"),
              ("fevers", "weeping lesions"),
              ("lichenified patches in the antecubital fossae", "no signs of infection"),
              (),
              ("triamcinolone 0.1% ointment twice daily for 2 weeks", "thick emollient after bathing",
               "fragrance-free soaps"),
              "{4|6} weeks"),
    Condition("allergic rhinitis", "sneezing and congestion", (3, 12, "weeks"),
              ("itchy eyes", "clear rhinorrhea", "worse outdoors in spring"),
              ("fevers", "facial pain"),
              ("pale boggy turbinates", "allergic shiners"),
              (),
              ("fluticasone nasal spray 2 sprays daily", "cetirizine 10 mg daily", "keep windows closed on high pollen days"),
              "3 months"),
    Condition("conjunctivitis", "{right|left} red eye", (1, 3, "days"),
              ("watery discharge", "crusting in the morning", "recent cold"),
              ("vision change", "eye pain", "light sensitivity"),
              ("conjunctival injection", "visual acuity normal", "no corneal staining"),
              (),
              ("warm compresses", "artificial tears", "hand hygiene", "return for pain or vision change"),
              "as needed"),
    Condition("vitamin D deficiency", "review of laboratory results", (1, 2, "weeks"),
              ("mild fatigue", "diffuse aches"),
              ("fractures", "muscle weakness"),
              ("no bony tenderness", "normal strength"),
              ("25-hydroxy vitamin D {9-18}",),
              ("vitamin D3 2000 units daily", "repeat level in 3 months"),
              "3 months"),
    Condition("obstructive sleep apnea", "daytime sleepiness", (3, 12, "months"),
              ("loud snoring", "witnessed apneas", "morning headaches"),
              ("cataplexy", "restless legs"),
              ("enlarged neck circumference", "crowded oropharynx"),
              ("Epworth score {12-18}",),
              ("home sleep study ordered", "weight loss discussed", "avoid driving when drowsy"),
              "{6|8} weeks", "hypertensive"),
    Condition("benign prostatic hyperplasia", "urinary frequency", (3, 12, "months"),
              ("nocturia {2-4} times a night", "weak stream", "hesitancy"),
              ("hematuria", "painful urination", "weight loss"),
              ("smooth enlarged prostate without nodules",),
              ("urinalysis normal", "PSA {1.2-3.4}"),
              ("start tamsulosin 0.4 mg at bedtime", "limit fluids in the evening", "recheck symptoms in 6 weeks"),
              "6 weeks", sex="male"),
    Condition("chronic kidney disease stage 3", "follow-up of kidney function", (3, 6, "months"),
              ("no swelling", "good appetite"),
              ("decreased urine output", "itching"),
              ("no edema", "normal heart sounds"),
              ("creatinine {1.5-2.1}", "eGFR {35-55}", "urine albumin to creatinine ratio {40-250}"),
              ("continue losartan", "avoid nonsteroidal anti-inflammatories", "start dapagliflozin 10 mg daily",
               "nephrology referral"),
              "3 months", "hypertensive"),
    Condition("vaginal yeast infection", "vaginal itching", (2, 6, "days"),
              ("thick white discharge", "recent antibiotics"),
              ("fevers", "pelvic pain", "foul odor"),
              ("vulvar erythema", "thick white discharge", "no cervical motion tenderness"),
              ("wet prep with yeast forms",),
              ("fluconazole 150 mg once", "cotton underwear", "return if not better in a week"),
              "as needed", sex="female"),
)
# fmt: on

# Vital signs by profile: (temperature F, heart rate, systolic, diastolic, respiratory rate, saturation %).
VITAL_PROFILES: dict[str, tuple[tuple[float, float], ...]] = {
    "normal": ((97.6, 98.9), (62, 88), (112, 134), (68, 84), (12, 16), (96, 99)),
    "febrile": ((100.6, 102.8), (94, 118), (108, 136), (64, 86), (18, 24), (92, 97)),
    "tachy": ((97.8, 99.4), (101, 124), (104, 138), (62, 86), (16, 22), (92, 98)),
    "hypertensive": ((97.6, 98.9), (66, 92), (144, 172), (88, 104), (12, 18), (95, 99)),
}
HISTORY = (
    "hypertension", "type 2 diabetes", "hyperlipidemia", "asthma", "gastroesophageal reflux disease",
    "hypothyroidism", "osteoarthritis", "depression", "obesity", "atrial fibrillation", "coronary artery disease",
    "chronic kidney disease", "obstructive sleep apnea", "migraine", "anxiety", "gout", "prediabetes",
)  # fmt: skip
MEDICINES = (
    "lisinopril {10|20|40} mg daily", "metformin {500|1000} mg twice daily", "atorvastatin {20|40|80} mg at bedtime",
    "levothyroxine {50|75|88|100} mcg daily", "omeprazole 20 mg daily", "sertraline {50|100} mg daily",
    "amlodipine {5|10} mg daily", "albuterol as needed", "losartan {25|50|100} mg daily", "aspirin 81 mg daily",
    "metoprolol succinate {25|50} mg daily", "hydrochlorothiazide 25 mg daily", "cetirizine 10 mg daily",
    "vitamin D3 1000 units daily", "allopurinol {100|300} mg daily",
)  # fmt: skip
ALLERGIES = ("no known drug allergies",) * 4 + (
    "penicillin (rash)",
    "sulfa drugs (hives)",
    "codeine (nausea)",
    "latex",
)
# What a patient does, as a verb phrase ("she smokes ..."), so every style can say it.
SOCIAL = (
    "does not smoke",
    "quit smoking {5-20} years ago",
    "smokes {5-20} cigarettes a day",
    "drinks {1-6} beers a week",
    "does not drink alcohol",
    "works as {a teacher|a nurse|a mechanic|an accountant|an electrician|a cook|a driver}",
    "lives with {a spouse|family|a partner}",
    "lives alone",
    "walks {2-5} times a week",
)


@dataclass(frozen=True)
class Visit:
    """One patient's visit, drawn: what every style writes, each in its own way."""

    condition: Condition
    age: int
    female: bool
    duration: str  # "3 days"
    complaint: str
    symptoms: tuple[str, ...]
    negatives: tuple[str, ...]
    history: tuple[str, ...]
    medicines: tuple[str, ...]
    allergies: str
    social: str
    vitals: dict[str, str]  # temperature, heart_rate, blood_pressure, respiratory_rate, saturation
    exam: tuple[str, ...]
    results: tuple[str, ...]
    diagnosis: str
    plan: tuple[str, ...]
    follow_up: str

    @property
    def pronoun(self) -> str:
        return "she" if self.female else "he"

    @property
    def possessive(self) -> str:
        return "her" if self.female else "his"

    @property
    def person(self) -> str:
        return "woman" if self.female else "man"


def _some(items: tuple[str, ...], rng: random.Random, low: int, high: int, side: str) -> tuple[str, ...]:
    """Between `low` and `high` of `items` (as many as there are), in their listed order, templates filled."""
    if not items:
        return ()
    k = min(len(items), rng.randint(low, high))
    chosen = sorted(rng.sample(range(len(items)), k))
    return tuple(fill(items[i], rng, side) for i in chosen)


def _vitals(profile: str, rng: random.Random) -> dict[str, str]:
    temp, hr, sys_, dia, rr, sat = VITAL_PROFILES[profile]
    return {
        "temperature": f"{rng.uniform(*temp):.1f}",
        "heart_rate": str(rng.randint(int(hr[0]), int(hr[1]))),
        "blood_pressure": f"{rng.randint(int(sys_[0]), int(sys_[1]))}/{rng.randint(int(dia[0]), int(dia[1]))}",
        "respiratory_rate": str(rng.randint(int(rr[0]), int(rr[1]))),
        "saturation": str(rng.randint(int(sat[0]), int(sat[1]))),
    }


def draw_visit(rng: random.Random) -> Visit:
    """A visit: a condition and a patient, every value drawn from `rng` (the same generator, the same visit)."""
    condition = rng.choice(CONDITIONS)
    side = rng.choice(("right", "left"))
    low, high, unit = condition.duration
    n = rng.randint(low, high)
    female = condition.sex == "female" if condition.sex else rng.random() < 0.5
    return Visit(
        condition=condition,
        age=rng.randint(19, 88),
        female=female,
        duration=f"{n} {unit[:-1] if n == 1 else unit}",
        complaint=fill(condition.complaint, rng, side),
        symptoms=_some(condition.symptoms, rng, 1, 3, side),
        negatives=_some(condition.negatives, rng, 1, 2, side),
        history=tuple(sorted(rng.sample(HISTORY, rng.randint(0, 3)), key=HISTORY.index)),
        medicines=tuple(fill(m, rng) for m in rng.sample(MEDICINES, rng.randint(0, 3))),
        allergies=rng.choice(ALLERGIES),
        social=fill(rng.choice(SOCIAL), rng),
        vitals=_vitals(condition.vitals, rng),
        exam=_some(condition.exam, rng, 1, 3, side),
        results=_some(condition.results, rng, 0, 2, side),
        diagnosis=condition.diagnosis,
        plan=_some(condition.plan, rng, 2, 4, side),
        follow_up=fill(condition.follow_up, rng),
    )
