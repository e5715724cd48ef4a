# SPDX-License-Identifier: MIT
# Writes N generated profiles as JSON lines (deterministic: no rand, so every awk agrees).
# usage: awk -v n=2000 -v bad=100 -f gen.awk   (every bad-th record is malformed in one of
# several ways; bad=0 for none; blank=K adds a blank line after every K-th record)
BEGIN {
    split("kidney_disease heart_failure diabetes ibs constipation insomnia migraine anxiety depression stress osteoarthritis neck_pain muscle_cramps hypertension", cond, " ")
    split("sleep immunity gut_health neck_pain muscle_cramps blood_sugar cognition migraine stress bone_health heart_health deficiency", goal, " ")
    split("antibiotics diuretics vitamin_d antacids laxatives other_prescription other_supplements", med, " ")
    split("fatigue diarrhoea nausea poor_sleep low_mood muscle_twitching frequent_infections", sym, " ")
    split("low moderate high", act, " ")
    for (i = 1; i <= n; i++) {
        if (bad && i % bad == 0) {
            k = int(i / bad) % 6
            if (k == 0) print "{\"id\":\"p" i "\",\"age\":" (i % 90)
            else if (k == 1) print "{\"id\":\"p" i "\",\"age\":\"forty\"}"
            else if (k == 2) print "{\"id\":\"p" i "\",\"conditions\":[\"kidney_diseese\"]}"
            else if (k == 3) print "{\"id\":\"p" i "\",\"age\":400}"
            else if (k == 4) print "[\"p" i "\"]"
            else print "{\"id\":\"p" i "\" \"age\":3}"
        } else {
            s = "{\"id\":\"p" i "\",\"age\":" (10 + i % 80)
            s = s ",\"sex\":\"" (i % 2 ? "female" : "male") "\""
            s = s ",\"conditions\":[\"" cond[1 + i % 14] "\""
            if (i % 3 == 0) s = s ",\"" cond[1 + (i * 7) % 14] "\""
            s = s "],\"goals\":[\"" goal[1 + i % 12] "\",\"" goal[1 + (i * 5) % 12] "\"]"
            s = s ",\"medications\":[\"" med[1 + i % 7] "\"]"
            s = s ",\"symptoms\":[\"" sym[1 + i % 7] "\"]"
            s = s ",\"diet_mg\":" (150 + i % 300) ",\"supplement_mg\":" ((i % 5) * 110)
            s = s ",\"balanced_diet\":" (i % 4 ? "true" : "false")
            s = s ",\"activity\":\"" act[1 + i % 3] "\""
            if (i % 11 == 0) s = s ",\"vitamin_d_level\":{\"value\":" (20 + i % 90) ",\"unit\":\"nmol/L\"}"
            print s "}"
        }
        if (blank && i % blank == 0) print ""
    }
}
