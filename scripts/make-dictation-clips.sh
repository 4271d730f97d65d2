#!/usr/bin/env bash
# Summary: Make short synthetic clinical dictation clips (16 kHz mono s16le WAV) with their reference texts
# Usage: scripts/make-dictation-clips.sh [--set tuning|heldout] <output-dir>
#
# Writes <name>.wav and <name>.txt (the words spoken, one line) for each clip into <output-dir>, which is created
# when missing. The clips are made with espeak-ng (fixed voice, speed, pitch and word gap) and converted with sox
# without dither, so the same versions of the two tools produce byte-identical files. No patient is real.
#
# The tuning set (the default; the tests use it, and its figures were used to choose settings):
#   dx-diabetes      a history line with numbers and a drug dose (about 15 s)
#   meds-list        drug names and doses, the case a vocabulary prompt helps (about 13 s)
#   pause-followup   two sentences with a 3-second pause between them (about 10 s)
#   long-assessment  one long dictation without long pauses (about 28 s)
#   short-allergies  a short closing sentence (about 5 s)
# The held-out set (the benchmark's; never used to choose a setting): six dictations of other content, each in
# another espeak-ng voice, speed and pitch, with pauses between sentences as a doctor makes them (about 70 s).
# Needs: espeak-ng, sox.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

usage() {
  echo "usage: scripts/make-dictation-clips.sh [--set tuning|heldout] <output-dir>" >&2
  exit 1
}

set_name=tuning
if [ "${1:-}" = "--set" ]; then
  [ "$#" -ge 2 ] || usage
  set_name="$2"
  shift 2
fi
[ "$#" -eq 1 ] || usage
case "$1" in -h | --help | "") usage ;; esac
case "$set_name" in tuning | heldout) ;; *) usage ;; esac
out="$1"

for tool in espeak-ng sox; do
  if ! command -v "$tool" >/dev/null; then
    echo "make-dictation-clips: $tool is not installed (apt-get install espeak-ng sox)" >&2
    exit 1
  fi
done

# Fixed synthesis settings: American English voice, 160 words a minute, default pitch, no extra word gap.
voice="en-us"
speed=160
pitch=50
# Half a second of silence either side, as a microphone would record before and after speaking.
pad_seconds=0.5

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# make_clip NAME TEXT — TEXT is SSML (espeak-ng -m); <break time="..."/> makes a pause. The reference text is TEXT
# without its tags.
make_clip() {
  local name="$1" text="$2" raw="$work/$1.raw.wav"
  espeak-ng -v "$voice" -s "$speed" -p "$pitch" -g 0 -m -w "$raw" "$text"
  sox -D -V1 "$raw" -r 16000 -c 1 -b 16 -e signed-integer "$out/$name.wav" pad "$pad_seconds" "$pad_seconds"
  printf '%s\n' "$text" | sed -e 's/<[^>]*>/ /g' -e 's/  */ /g' -e 's/^ //' -e 's/ $//' >"$out/$name.txt"
  echo "$out/$name.wav ($(soxi -D "$out/$name.wav") s)"
}

tuning_set() {
make_clip dx-diabetes \
  "Patient is a 54 year old male with type 2 diabetes, on metformin 500 milligrams twice daily. \
Blood pressure today is 142 over 88. Recheck hemoglobin A1c in three months."

make_clip meds-list \
  "Current medications: lisinopril 10 milligrams daily, atorvastatin 40 milligrams at bedtime, \
and levothyroxine 75 micrograms every morning. Continue all medications."

make_clip pause-followup \
  "The wound on the left forearm is healing well with no signs of infection. <break time=\"3000ms\"/> \
Remove the sutures in ten days."

make_clip long-assessment \
  "Assessment and plan: this is a 67 year old female with community acquired pneumonia of the right lower lobe, \
who presented with fever, productive cough and shortness of breath for four days. Her oxygen saturation is 93 \
percent on room air. Start amoxicillin clavulanate 875 milligrams twice daily for seven days, encourage fluids, \
and return to the clinic if symptoms worsen."

make_clip short-allergies \
  "No known drug allergies. Follow up in the clinic in two weeks."
}

# Each held-out clip in its own voice: voice, words a minute, pitch (espeak-ng's variants change the timbre).
heldout_set() {
  voice="en-us+f3" speed=150 pitch=60 make_clip ros-negative \
    "Review of systems is negative for chest pain and palpitations. <break time=\"700ms\"/> No edema of the lower \
extremities. <break time=\"600ms\"/> Pulses are two plus and symmetric."
  voice="en-gb-x-rp" speed=165 pitch=45 make_clip vitals \
    "Vital signs: temperature 98.6 degrees, heart rate 72, respiratory rate 16, blood pressure 128 over 76, \
<break time=\"500ms\"/> oxygen saturation 98 percent on room air."
  voice="en-us+m3" speed=175 pitch=50 make_clip antibiotics \
    "Prescribed amoxicillin 500 milligrams three times daily for ten days. <break time=\"800ms\"/> Ibuprofen 400 \
milligrams every six hours as needed for pain."
  voice="en-us+f2" speed=160 pitch=55 make_clip headache-history \
    "She reports intermittent headaches for two weeks, worse in the morning, with no visual changes or nausea. \
<break time=\"900ms\"/> The neurological examination is normal."
  voice="en-gb" speed=155 pitch=40 make_clip plan-sertraline \
    "Plan: start sertraline 50 milligrams daily. <break time=\"600ms\"/> Follow up in four weeks, and refer to \
physical therapy for the lower back pain."
  voice="en-us+m7" speed=170 pitch=50 make_clip skin-exam \
    "Skin examination shows a two centimeter erythematous plaque on the left forearm. <break time=\"700ms\"/> \
Suspect contact dermatitis. Apply hydrocortisone cream twice daily."
}

"${set_name}_set"
