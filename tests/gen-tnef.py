#!/usr/bin/env python3
# gen-tnef.py - write tests/data/tnef-winmail.eml, an Outlook-style mail
# whose only attachment is a winmail.dat (application/ms-tnef).
#
# No TNEF writer is packaged for Debian, so this builds the stream by hand
# following [MS-OXTNEF]: the signature 0x223E9F78, a 16-bit legacy key,
# then attributes, each one
#
#     level (1 byte: 1 message, 2 attachment)
#     id (4 bytes: attribute type << 16 | attribute number)
#     length (4 bytes)
#     data (length bytes)
#     checksum (2 bytes: the sum of the data bytes modulo 65536)
#
# all little-endian.  Each attached file is an attAttachRenddata (which
# starts a new attachment), attAttachTitle, attAttachData and an
# attAttachment block of MAPI properties carrying the long file name.
#
# The output is deterministic.  Run from the top of the tree:
#
#     python3 tests/gen-tnef.py [--dat /tmp/winmail.dat]
#
# It prints the name, size and SHA-256 of every file packed inside, which
# tests/test-message.c expects.

import base64
import hashlib
import os
import struct
import sys

TNEF_SIGNATURE = 0x223E9F78
LEGACY_KEY = 0x5A17

LVL_MESSAGE = 0x01
LVL_ATTACHMENT = 0x02

# Attribute types (high word of the id).
ATP_STRING = 0x0001
ATP_BYTE = 0x0006
ATP_WORD = 0x0007
ATP_DWORD = 0x0008


def att_id(atp, num):
    return (atp << 16) | num


ATT_TNEF_VERSION = att_id(ATP_DWORD, 0x9006)
ATT_OEM_CODEPAGE = att_id(ATP_BYTE, 0x9007)
ATT_MESSAGE_CLASS = att_id(ATP_WORD, 0x8008)
ATT_ATTACH_RENDDATA = att_id(ATP_BYTE, 0x9002)
ATT_ATTACH_TITLE = att_id(ATP_STRING, 0x8010)
ATT_ATTACH_DATA = att_id(ATP_BYTE, 0x800F)
ATT_ATTACHMENT = att_id(ATP_BYTE, 0x9005)

# MAPI property types and tags used in the attAttachment block.
PT_LONG = 0x0003
PT_STRING8 = 0x001E
PR_ATTACH_EXTENSION = (0x3703 << 16) | PT_STRING8
PR_ATTACH_METHOD = (0x3705 << 16) | PT_LONG
PR_ATTACH_LONG_FILENAME = (0x3707 << 16) | PT_STRING8
PR_ATTACH_MIME_TAG = (0x370E << 16) | PT_STRING8
ATTACH_BY_VALUE = 1

# The files packed into winmail.dat.
FILES = [
    ("report.txt", "text/plain",
     b"Quarterly report\r\n"
     b"================\r\n"
     b"All systems nominal.  Printer on floor 4 replaced on 2024-06-03.\r\n"),
    ("data.csv", "text/csv",
     b"ticket;status;hours\r\n1041;closed;2.5\r\n1042;open;0.75\r\n"),
]


def attribute(level, ident, data):
    checksum = sum(data) & 0xFFFF
    return (struct.pack("<BII", level, ident, len(data)) + data
            + struct.pack("<H", checksum))


def mapi_string8(tag, value):
    raw = value.encode("ascii") + b"\0"
    pad = (4 - len(raw) % 4) % 4
    return struct.pack("<III", tag, 1, len(raw)) + raw + b"\0" * pad


def mapi_long(tag, value):
    return struct.pack("<II", tag, value)


def tnef_stream(files):
    out = struct.pack("<IH", TNEF_SIGNATURE, LEGACY_KEY)
    out += attribute(LVL_MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000))
    out += attribute(LVL_MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", 1252, 0))
    out += attribute(LVL_MESSAGE, ATT_MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\0")
    for position, (name, mime, content) in enumerate(files):
        # atyp = 1 (file), ulPosition, dxWidth, dyHeight, dwFlags.
        renddata = struct.pack("<HIHHI", 1, position, 0, 0, 0)
        out += attribute(LVL_ATTACHMENT, ATT_ATTACH_RENDDATA, renddata)
        out += attribute(LVL_ATTACHMENT, ATT_ATTACH_TITLE, name.encode("ascii") + b"\0")
        out += attribute(LVL_ATTACHMENT, ATT_ATTACH_DATA, content)
        props = [
            mapi_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE),
            mapi_string8(PR_ATTACH_LONG_FILENAME, name),
            mapi_string8(PR_ATTACH_EXTENSION, os.path.splitext(name)[1]),
            mapi_string8(PR_ATTACH_MIME_TAG, mime),
        ]
        block = struct.pack("<I", len(props)) + b"".join(props)
        out += attribute(LVL_ATTACHMENT, ATT_ATTACHMENT, block)
    return out


def mail(tnef):
    body = ("Hello,\n\n"
            "please find the quarterly report attached.\n\n"
            "Regards,\n"
            "Matti Laine\n")
    b64 = base64.encodebytes(tnef).decode("ascii")
    return ("Return-Path: <matti.laine@example.fi>\n"
            "Received: from EXCH01.example.fi (exch01.example.fi [203.0.113.40])\n"
            "\tby mx.example.org (Postfix) with ESMTPS id 4Vf78y3Fg2\n"
            "\tfor <support@example.org>; Thu, 6 Jun 2024 10:30:02 +0300 (EEST)\n"
            "From: Matti Laine <Matti.Laine@example.fi>\n"
            "To: \"Support\" <support@example.org>\n"
            "Subject: Quarterly report\n"
            "Date: Thu, 6 Jun 2024 10:30:00 +0300\n"
            "Message-ID: <HE1PR0701MB2345.tnef@EXCH01.example.fi>\n"
            "MIME-Version: 1.0\n"
            "X-MS-Has-Attach: yes\n"
            "X-MS-TNEF-Correlator: <HE1PR0701MB2345.tnef@EXCH01.example.fi>\n"
            "Content-Type: multipart/mixed;\n"
            "\tboundary=\"_000_HE1PR0701MB2345tnef_\"\n"
            "\n"
            "--_000_HE1PR0701MB2345tnef_\n"
            "Content-Type: text/plain; charset=\"us-ascii\"\n"
            "Content-Transfer-Encoding: 7bit\n"
            "\n" + body + "\n"
            "--_000_HE1PR0701MB2345tnef_\n"
            "Content-Type: application/ms-tnef; name=\"winmail.dat\"\n"
            "Content-Disposition: attachment; filename=\"winmail.dat\"\n"
            "Content-Transfer-Encoding: base64\n"
            "\n" + b64 + "\n"
            "--_000_HE1PR0701MB2345tnef_--\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    dest = os.path.join(here, "data", "tnef-winmail.eml")
    tnef = tnef_stream(FILES)
    with open(dest, "w", encoding="ascii", newline="\n") as f:
        f.write(mail(tnef))
    # "--dat PATH" also writes the bare TNEF stream, for checking it with
    # another reader (ytnef, tnef).
    if len(sys.argv) > 2 and sys.argv[1] == "--dat":
        with open(sys.argv[2], "wb") as f:
            f.write(tnef)
    print("winmail.dat %d bytes %s" % (len(tnef), hashlib.sha256(tnef).hexdigest()))
    for name, _mime, content in FILES:
        print("%s %d bytes %s" % (name, len(content), hashlib.sha256(content).hexdigest()))


if __name__ == "__main__":
    main()
