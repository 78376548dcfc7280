"""@brief What the registry scripts share: IPFIX's abstract data types and the writer of a
flowlab registry file (core/registry/*.ies, read by core/src/registry.cpp).

A registry file is a few comment lines, `registry NAME`, `pen N` (and optionally
`reverse-pen N`), then one tab-separated line per element: id, name, type, semantics, units,
status, each a single token ('-' when empty).
"""
import sys

# RFC 7012 section 3.1 and RFC 6313 (lists); unsigned256 from RFC 8549's registry update.
TYPES = (
    "octetArray", "unsigned8", "unsigned16", "unsigned32", "unsigned64", "signed8", "signed16", "signed32",
    "signed64", "float32", "float64", "boolean", "macAddress", "string", "dateTimeSeconds",
    "dateTimeMilliseconds", "dateTimeMicroseconds", "dateTimeNanoseconds", "ipv4Address", "ipv6Address",
    "basicList", "subTemplateList", "subTemplateMultiList", "unsigned256",
)


def token(text):
    """One whitespace-free field of the registry file; '-' when empty."""
    text = "_".join(text.split())
    return text if text else "-"


def write_registry(out, comments, header, elements):
    """Writes `comments` (lines without '# '), the `header` lines (registry, pen ...) and the
    elements, (id, name, type, semantics, units, status) tuples, sorted by id."""
    with open(out, "w", encoding="utf-8") as f:
        for line in comments:
            f.write(f"# {line}\n")
        for line in header:
            f.write(f"{line}\n")
        f.write("# id\tname\ttype\tsemantics\tunits\tstatus\n")
        for e in sorted(elements):
            f.write("\t".join([str(e[0])] + [token(x) for x in e[1:]]) + "\n")
    print(f"{out}: {len(elements)} elements", file=sys.stderr)
