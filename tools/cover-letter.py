#!/usr/bin/env python3
"""Extract a cover letter's subject and body, as a git branch description;
or a patch's changelog, as the git note it was exported from.

git format-patch --cover-from-description=subject builds the cover letter from
the branch description: its first paragraph is the subject, the rest is the
body.  This is the inverse, used by tools/make-tree.sh: it strips the headers
and the parts git generates after the body (the shortlog, the diffstat and the
base-commit trailer), so that a later export regenerates them.
"""
import re
import sys


def extract(text):
    head, _, rest = text.partition('\n\n')
    subject = re.search(r'^Subject: (.*(?:\n .*)*)', head, re.M)
    if not subject:
        raise ValueError('no Subject header')
    subject = re.sub(r'\n ', ' ', subject.group(1))
    subject = re.sub(r'^\[[^]]*\] ', '', subject)
    lines = rest.split('\n')
    end = next((i for i in range(len(lines) - 1, -1, -1)
                if lines[i].startswith('base-commit: ')), len(lines))
    # git format-patch --range-diff puts its block after the diffstat.
    end = next((i for i in range(end - 1, -1, -1)
                if lines[i].startswith('Range-diff against ')), end)
    # Walk back over the diffstat block, then over shortlog groups: a
    # "Name (N):" line followed by indented subjects.
    i = end - 1
    while i >= 0 and lines[i] == '':
        i -= 1
    while i >= 0 and lines[i].startswith(' '):
        i -= 1
    while True:
        j = i
        while j >= 0 and lines[j] == '':
            j -= 1
        k = j
        while k >= 0 and lines[k].startswith('  '):
            k -= 1
        if k < j and k >= 0 and re.fullmatch(r'\S.* \(\d+\):', lines[k]):
            i = k - 1
            continue
        break
    body = '\n'.join(lines[:i + 1]).strip('\n')
    return subject + '\n\n' + body + '\n' if body else subject + '\n'


def notes(text):
    """The git note that git format-patch --notes put under a patch's "---"
    (a "Notes:" line, then the note indented by four spaces, then a blank
    line before the diffstat), or '' without one."""
    m = re.search(r'^---\n\nNotes:\n((?:    .*\n|\n)*?)\n(?! {4})', text, re.M)
    if not m:
        return ''
    return ''.join(line[4:] + '\n' for line in m.group(1).split('\n')[:-1])


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('extract', 'notes'):
        sys.exit('usage: cover-letter.py extract|notes PATCH')
    try:
        with open(sys.argv[2], encoding='utf-8') as f:
            text = f.read()
        sys.stdout.write(extract(text) if sys.argv[1] == 'extract' else notes(text))
    except (OSError, ValueError) as e:
        sys.exit(f'error: {sys.argv[2]}: {e}')


if __name__ == '__main__':
    main()
