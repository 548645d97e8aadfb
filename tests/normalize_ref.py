#!/usr/bin/python3
"""Reference for `attention pairs`: the PyTorch translation tutorial's reader.

Usage: normalize_ref.py FILE [--vocab]

Reads FILE as the tutorial does (UTF-8 text, one pair a line, English<TAB>French,
further tab-separated columns ignored), normalises both sentences with the
tutorial's normalizeString, keeps the pairs that pass the tutorial's filter
(both sides fewer than MAX_LENGTH=10 words, English starting with one of the
twelve eng_prefixes) and prints them as `en<TAB>fr` lines, in file order.

With --vocab it prints instead three numbers: the pairs kept, then the sizes
of the English and the French vocabularies built from them (<SOS> and <EOS>
included), counting words as the tutorial's Lang.addSentence does.

Written for the kit's tests from the tutorial's published code; it uses only
the Python standard library, so it is independent of the C code under test.

Two places where the tutorial itself is undefined are made explicit:
  * a blank line would crash the tutorial (IndexError); it is skipped here,
    as the kit documents;
  * a line with no tab would crash the tutorial as well; it is reported on
    stderr and the script exits with status 1.
"""
import re
import sys
import unicodedata

MAX_LENGTH = 10
ENG_PREFIXES = (
    "i am ", "i m ",
    "he is", "he s ",
    "she is", "she s ",
    "you are", "you re ",
    "we are", "we re ",
    "they are", "they re ",
)


def unicode_to_ascii(s):
    return ''.join(c for c in unicodedata.normalize('NFD', s)
                   if unicodedata.category(c) != 'Mn')


def normalize_string(s):
    s = unicode_to_ascii(s.lower().strip())
    s = re.sub(r"([.!?])", r" \1", s)
    s = re.sub(r"[^a-zA-Z.!?]+", r" ", s)
    return s.strip()


def filter_pair(en, fr):
    return (len(en.split(' ')) < MAX_LENGTH and
            len(fr.split(' ')) < MAX_LENGTH and
            en.startswith(ENG_PREFIXES))


def read_pairs(path):
    # The tutorial: open(path, encoding='utf-8').read().strip().split('\n')
    with open(path, encoding='utf-8') as f:
        lines = f.read().strip().split('\n')
    pairs = []
    for number, line in enumerate(lines, 1):
        if line == '':
            continue
        fields = line.split('\t')
        if len(fields) < 2:
            sys.exit("%s: line %d has no tab" % (path, number))
        en, fr = normalize_string(fields[0]), normalize_string(fields[1])
        if filter_pair(en, fr):
            pairs.append((en, fr))
    return pairs


def main():
    args = sys.argv[1:]
    vocab = '--vocab' in args
    args = [a for a in args if a != '--vocab']
    if len(args) != 1:
        sys.exit(__doc__)
    pairs = read_pairs(args[0])
    out = sys.stdout
    if vocab:
        en_words, fr_words = {"<SOS>", "<EOS>"}, {"<SOS>", "<EOS>"}
        for en, fr in pairs:
            en_words.update(en.split(' '))
            fr_words.update(fr.split(' '))
        out.write("%d %d %d\n" % (len(pairs), len(en_words), len(fr_words)))
        return
    data = ''.join("%s\t%s\n" % p for p in pairs)
    out.buffer.write(data.encode('ascii'))


if __name__ == '__main__':
    main()
