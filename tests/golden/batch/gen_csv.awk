# SPDX-License-Identifier: MIT
# Writes a CSV header and N generated profiles (deterministic, like gen.awk).
# usage: awk -v n=3000 -v bad=41 -v blank=97 -f gen_csv.awk   (every bad-th record is bad in
# one of three ways: a wrong type, an unknown symbol, a missing cell; blank=K adds a blank
# line after every K-th record; every 7th record's id is quoted and spans two lines)
BEGIN {
    split("kidney_disease heart_failure diabetes ibs constipation insomnia migraine anxiety depression stress osteoarthritis neck_pain muscle_cramps hypertension", cond, " ")
    split("sleep immunity gut_health neck_pain muscle_cramps blood_sugar cognition migraine stress bone_health heart_health deficiency", goal, " ")
    split("low moderate high", act, " ")
    print "id,age,sex,conditions,goals,diet_mg,supplement_mg,balanced_diet,activity,vitamin_d_level"
    for (i = 1; i <= n; i++) {
        id = i % 7 == 0 ? "\"p" i "\nline two\"" : "p" i
        if (bad && i % bad == 0) {
            k = int(i / bad) % 3
            if (k == 0) print id ",forty,female,,,,,,,"
            else if (k == 1) print id ",40,female,kidney_diseese,,,,,,"
            else print id ",40,female"
        } else {
            s = id "," (10 + i % 80) "," (i % 2 ? "female" : "male")
            s = s "," cond[1 + i % 14] (i % 3 == 0 ? ";" cond[1 + (i * 7) % 14] : "")
            s = s "," goal[1 + i % 12] ";" goal[1 + (i * 5) % 12]
            s = s "," (150 + i % 300) "," ((i % 5) * 110)
            s = s "," (i % 4 ? "true" : "false") "," act[1 + i % 3]
            s = s "," (i % 11 == 0 ? (20 + i % 90) " nmol/L" : "")
            print s
        }
        if (blank && i % blank == 0) print ""
    }
}
