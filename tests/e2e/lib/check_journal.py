"""Checks that every complete line of a duet journal carries a valid CRC-32.

Usage: check_journal.py FILE.journal. The first line is the header; a last line without its
newline is a record torn by the interruption and is allowed. Prints the number of valid records
and exits 0, or prints the first bad line number and exits 1.
"""
import sys
import zlib

with open(sys.argv[1], "rb") as f:
    data = f.read()
lines = data.split(b"\n")
torn = lines.pop()  # after the last newline: empty, or a torn record
if not lines or not lines[0].startswith(b"duet-journal 1 "):
    print("no journal header")
    sys.exit(1)
records = 0
for number, line in enumerate(lines[1:], start=2):
    body, sep, crc = line.rpartition(b" crc=")
    if not sep or len(crc) != 8 or zlib.crc32(body) != int(crc, 16):
        print("line %d has a bad checksum" % number)
        sys.exit(1)
    records += 1
print("%d valid records%s" % (records, ", torn last line" if torn else ""))
