# SPDX-License-Identifier: MIT
# bash completion for mgadvise(1): the commands, each command's options and their values.
# Installed as $(BASHCOMPDIR)/mgadvise (bash-completion loads it on first use).

_mgadvise()
{
    local cur prev words cword
    _init_completion || return

    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -*) ;;
        *) cmd=${words[i]}; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '-h --help --version' -- "$cur"))
        else
            COMPREPLY=($(compgen -W 'eval check batch explain test fmt graph schema catalog lsp serve' -- "$cur"))
        fi
        return
    fi

    case $prev in
    -r | --rules)
        _filedir mga
        return
        ;;
    -f | --format)
        case $cmd in
        eval) COMPREPLY=($(compgen -W 'text json pretty' -- "$cur")) ;;
        check) COMPREPLY=($(compgen -W 'text json sarif' -- "$cur")) ;;
        explain) COMPREPLY=($(compgen -W 'text json' -- "$cur")) ;;
        graph) COMPREPLY=($(compgen -W 'dot json' -- "$cur")) ;;
        esac
        return
        ;;
    --input-format)
        COMPREPLY=($(compgen -W 'jsonl csv fhir' -- "$cur"))
        return
        ;;
    --sources)
        _filedir -d
        return
        ;;
    --stats | --catalog | --auth | --decision-log | --log-id-key | --tls-cert | --tls-key)
        _filedir
        return
        ;;
    --fhir)
        _filedir json
        return
        ;;
    --date)
        COMPREPLY=($(compgen -W "$(date -u +%Y-%m-%d)" -- "$cur"))
        return
        ;;
    -j | --jobs | --threads | --skip | --min-coverage | --rule | --time-limit | --port | --bind | \
        --max-body | --max-connections | --timeout | --max-header | --log-max-bytes | --log-keep | \
        --fhir-timeout | --body-timeout)
        return
        ;;
    esac

    local opts
    case $cmd in
    eval) opts='-r --rules -f --format --all --allow-unknown-fields --fhir --date --print-profile -h --help' ;;
    check) opts='-r --rules --sources --no-analysis -f --format --time --time-limit -q --quiet -h --help' ;;
    batch) opts='-r --rules -j --jobs --input-format --date --skip --stats --catalog --full --allow-unknown-fields -q --quiet -h --help' ;;
    explain) opts='--rule -r --rules -f --format --allow-unknown-fields --fhir --date -h --help' ;;
    test) opts='-r --rules --coverage --min-coverage -h --help' ;;
    fmt) opts='--check -h --help' ;;
    graph) opts='-r --rules -f --format -h --help' ;;
    schema) opts='-r --rules --allow-unknown-fields -h --help' ;;
    catalog) opts='-r --rules -h --help' ;;
    lsp) opts='--sources --no-analysis --time-limit -h --help' ;;
    serve) opts='--auth --insecure-no-auth --port --bind -r --rules -j --threads --max-body --max-header --max-connections --timeout --body-timeout --tls-cert --tls-key --decision-log --log-max-bytes --log-keep --log-id-key --log-plain-ids --fhir-timeout --fhir-allow-http -h --help' ;;
    *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case $cmd in
    eval | explain) _filedir json ;;
    batch) _filedir '@(json|jsonl|csv)' ;;
    test) _filedir mgt ;;
    check | fmt | graph | schema | catalog) _filedir mga ;;
    esac
} && complete -F _mgadvise mgadvise
