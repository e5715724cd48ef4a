# SPDX-License-Identifier: MIT
"""The pieces of a `mgadvise batch` output line that the CLI writes itself rather than the
library: JSON strings escaped as batch escapes them, and the "id" of a line that is not a
valid profile, read as batch reads it (only as far as it needs, from possibly broken JSON).
Everything works on bytes so that the output matches batch byte for byte."""
import re

_PLAIN = re.compile(rb'[\x00-\x1f"\\\x80-\xff]')
_ASCII_SPECIAL = re.compile(rb'[\x00-\x1f"\\]')
_SHORT = {0x22: b'\\"', 0x5C: b"\\\\", 0x08: b"\\b", 0x0C: b"\\f", 0x0A: b"\\n",
          0x0D: b"\\r", 0x09: b"\\t"}


def _esc_ascii(m):
    c = m.group()[0]
    e = _SHORT.get(c)
    return e if e is not None else b"\\u%04x" % c


def _utf8_len(s, i):
    """Length of the valid UTF-8 sequence at s[i], or 0 (the rules of batch_utf8_len)."""
    c = s[i]
    lo, hi = 0x80, 0xBF
    if 0xC2 <= c <= 0xDF:
        k = 2
    elif 0xE0 <= c <= 0xEF:
        k = 3
        if c == 0xE0:
            lo = 0xA0
        elif c == 0xED:
            hi = 0x9F
    elif 0xF0 <= c <= 0xF4:
        k = 4
        if c == 0xF0:
            lo = 0x90
        elif c == 0xF4:
            hi = 0x8F
    else:
        return 0
    n = len(s) - i
    if n < k or not lo <= s[i + 1] <= hi:
        return 0
    for j in range(i + 2, i + k):
        if not 0x80 <= s[j] <= 0xBF:
            return 0
    return k


def jstr(s):
    """bytes -> the JSON string batch writes: quotes, backslashes and control characters
    escaped (\\u00XX in lower case), valid UTF-8 as it is, each byte of invalid UTF-8 as
    \\ufffd."""
    if not _PLAIN.search(s):
        return b'"' + s + b'"'
    try:
        s.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    if valid:
        return b'"' + _ASCII_SPECIAL.sub(_esc_ascii, s) + b'"'
    out = bytearray(b'"')
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c >= 0x80:
            k = _utf8_len(s, i)
            if k:
                out += s[i:i + k]
                i += k
            else:
                out += b"\\ufffd"
                i += 1
            continue
        if c < 0x20 or c == 0x22 or c == 0x5C:
            e = _SHORT.get(c)
            out += e if e is not None else b"\\u%04x" % c
        else:
            out.append(c)
        i += 1
    out += b'"'
    return bytes(out)


def jstr_or_null(s):
    return b"null" if s is None else jstr(s)


_WS = b" \t\r\n"
_VALUE_END = b",}] \t\r\n\x00"


def _skip_ws(s, p):
    n = len(s)
    while p < n and s[p] in _WS:
        p += 1
    return p


def _skip_string(s, p):
    """p at '"': the index after the closing quote, or -1."""
    n = len(s)
    p += 1
    while p < n:
        c = s[p]
        if c == 0x5C:
            p += 1
            if p == n:
                return -1
        elif c == 0x22:
            return p + 1
        p += 1
    return -1


def _skip_value(s, p):
    n = len(s)
    if p == n:
        return -1
    c = s[p]
    if c == 0x22:
        return _skip_string(s, p)
    if c in b"{[":
        depth = 0
        while p < n:
            c = s[p]
            if c == 0x22:
                p = _skip_string(s, p)
                if p < 0:
                    return -1
                continue
            if c in b"{[":
                depth += 1
            elif c in b"}]":
                depth -= 1
                if depth == 0:
                    return p + 1
            p += 1
        return -1
    start = p
    while p < n and s[p] not in _VALUE_END:
        p += 1
    return p if p > start else -1


def _utf8(cp):
    if cp < 0x80:
        return bytes((cp,))
    if cp < 0x800:
        return bytes((0xC0 | (cp >> 6), 0x80 | (cp & 0x3F)))
    if cp < 0x10000:
        return bytes((0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F)))
    return bytes((0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F), 0x80 | ((cp >> 6) & 0x3F),
                  0x80 | (cp & 0x3F)))


_HEX = b"0123456789abcdefABCDEF"
_SIMPLE = {0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09}


def _u4(s, p):
    h = s[p:p + 4]
    if len(h) < 4 or any(c not in _HEX for c in h):
        return None
    return int(h, 16)


def _decode_string(s, p):
    """The JSON string at s[p] ('"') decoded to bytes, or None if it is not valid."""
    out = bytearray()
    n = len(s)
    p += 1
    while p < n:
        c = s[p]
        if c == 0x22:
            return bytes(out)
        if c < 0x20:
            return None
        if c != 0x5C:
            out.append(c)
            p += 1
            continue
        p += 1
        if p == n:
            return None
        c = s[p]
        if c in b'"\\/':
            out.append(c)
            p += 1
            continue
        if c in _SIMPLE:
            cp = _SIMPLE[c]
        elif c == 0x75:  # u
            cp = _u4(s, p + 1)
            if cp is None:
                return None
            p += 4
            if 0xD800 <= cp <= 0xDBFF:
                lo = _u4(s, p + 3) if n - p > 6 and s[p + 1] == 0x5C and s[p + 2] == 0x75 else None
                if lo is not None and 0xDC00 <= lo <= 0xDFFF:
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    p += 6
                else:
                    cp = 0xFFFD
            elif 0xDC00 <= cp <= 0xDFFF:
                cp = 0xFFFD
        else:
            return None
        out += _utf8(cp)
        p += 1
    return None


# A JSON integer ended by white space, ',', '}' or the end: an id echoed unquoted.
_INT = re.compile(rb"(-?(?:0|[1-9][0-9]*))(?=[ \t\r\n,}]|\Z)")


def raw_id(s):
    """The JSON text batch writes for the top-level "id" of a line that did not parse as a
    profile: the string or the integer as written, or null when it cannot be read before
    the line goes wrong."""
    n = len(s)
    p = _skip_ws(s, 0)
    if p < n and s[p] == 0x7B:
        p = _skip_ws(s, p + 1)
        while 0 <= p < n and s[p] == 0x22:
            k = p
            p = _skip_string(s, p)
            if p < 0:
                break
            is_id = p - k == 4 and s[k + 1] == 0x69 and s[k + 2] == 0x64
            p = _skip_ws(s, p)
            if p == n or s[p] != 0x3A:
                break
            p = _skip_ws(s, p + 1)
            if is_id:
                if p < n and s[p] == 0x22:
                    v = _decode_string(s, p)
                    if v is not None:
                        return jstr(v)
                m = _INT.match(s, p)
                if m:
                    return m.group(1)
                break
            p = _skip_value(s, p)
            if p < 0:
                break
            p = _skip_ws(s, p)
            if p == n or s[p] != 0x2C:
                break
            p = _skip_ws(s, p + 1)
    return b"null"
