#!/usr/bin/env python3
"""Make the tufup fixture readable by tough: re-sign its root files with the
same keys after adding "keyid_hash_algorithms" to every key object, so that
sha256(canonical key) equals tufup's legacy key ids (tough recomputes ids).

    make_kha_variant.py FIXTURE_DIR OUT_REPO_DIR

OUT_REPO_DIR receives a copy of FIXTURE_DIR/repository with 1.root.json,
2.root.json and root.json replaced. Everything else (targets, snapshot,
timestamp, archives, bsdiff4 patches) is tufup's own.
"""
import json
import pathlib
import shutil
import sys

from securesystemslib.formats import encode_canonical
from securesystemslib.interface import import_ed25519_privatekey_from_file
from securesystemslib.keys import create_signature


def main(fixture: pathlib.Path, out: pathlib.Path) -> None:
    shutil.copytree(fixture / 'repository', out)
    keys = {
        name: import_ed25519_privatekey_from_file(str(fixture / 'keystore' / name))
        for name in ('root', 'root_two')
    }
    by_id = {k['keyid']: k for k in keys.values()}
    for n in (1, 2):
        path = out / 'metadata' / f'{n}.root.json'
        doc = json.loads(path.read_text())
        for key in doc['signed']['keys'].values():
            key['keyid_hash_algorithms'] = ['sha256', 'sha512']
        data = encode_canonical(doc['signed']).encode()
        doc['signatures'] = [
            create_signature(by_id[s['keyid']], data) for s in doc['signatures'] if s['keyid'] in by_id
        ]
        path.write_text(json.dumps(doc, indent=1))
    shutil.copy(out / 'metadata' / '2.root.json', out / 'metadata' / 'root.json')


if __name__ == '__main__':
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
