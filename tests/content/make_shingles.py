#!/usr/bin/env python3
"""make_shingles.py ARTICLES_DIR > tests/content/article-shingles.txt

The fingerprint test_content_tables.c's "no copied sentences" compares the coach's words with: every
run of 8 words of the articles the coach is modelled on (ARTICLES_DIR/*.txt), each as the
FNV-1a 64-bit hash of its words joined by one space, sorted, one per line in hex. The articles
themselves stay out of the repository; the hashes say only whether a run of words is in them.
Words as test_content_tables.c's words_of cuts them: ASCII letters and digits, lowercased; apostrophes
(' and U+2019) dropped inside a word; every other byte ends a word; a word is at most 63 bytes.
"""
import os
import sys

SHINGLE = 8


def words_of(data):
    words, word = [], bytearray()
    i = 0
    while i < len(data):
        c = data[i]
        if c == 0x27 or (c == 0xE2 and data[i + 1:i + 3] == b"\x80\x99"):
            i += 3 if c == 0xE2 else 1
            continue
        if c < 0x80 and chr(c).isalnum() and len(word) + 1 < 64:
            word.append(ord(chr(c).lower()))
        elif word:
            words.append(bytes(word))
            word = bytearray()
        i += 1
    if word:
        words.append(bytes(word))
    return words


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    folder = sys.argv[1]
    hashes = set()
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            w = words_of(f.read())
        for k in range(len(w) - SHINGLE + 1):
            hashes.add(fnv1a(b" ".join(w[k:k + SHINGLE])))
    print("# 8-word runs of the articles the coach is modelled on, hashed (make_shingles.py)")
    for h in sorted(hashes):
        print("%016x" % h)


if __name__ == "__main__":
    main()
