#!/usr/bin/env bash
# Summary: Make short synthetic clinical dictation clips (16 kHz mono s16le WAV) with their reference texts
# Usage: scripts/make-dictation-clips.sh <output-dir>
#
# Writes <name>.wav and <name>.txt (the words spoken, one line) for each clip into <output-dir>, which is created
# when missing. The clips are made with espeak-ng (fixed voice, speed, pitch and word gap) and converted with sox
# without dither, so the same versions of the two tools produce byte-identical files. No patient is real.
#   dx-diabetes      a history line with numbers and a drug dose (about 15 s)
#   meds-list        drug names and doses, the case a vocabulary prompt helps (about 13 s)
#   pause-followup   two sentences with a 3-second pause between them (about 10 s)
#   long-assessment  one long dictation without long pauses (about 28 s)
#   short-allergies  a short closing sentence (about 5 s)
# Needs: espeak-ng, sox.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

usage() {
  echo "usage: scripts/make-dictation-clips.sh <output-dir>" >&2
  exit 1
}

[ "$#" -eq 1 ] || usage
case "$1" in -h | --help | "") usage ;; esac
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
