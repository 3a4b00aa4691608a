#!/usr/bin/env python3
"""
Generate a tufup 0.10.0 interop fixture repository, using tufup's own repo API
(the same calls as dennisvang/tufup-example repo_init.py / repo_add_bundle.py).

Usage (from a venv with `pip install tufup==0.10.0`):

    python make_tufup_fixture.py OUT_DIR            # build repo in OUT_DIR
    python make_tufup_fixture.py --bundles-only DIR # only (re)create bundle dirs

Result in OUT_DIR (OUT_DIR is also the cwd for tufup, because tufup always reads
and writes its config file `.tufup-repo-config` in the *current working dir*):

    .tufup-repo-config          tufup repo config (JSON)
    keystore/                   unencrypted ed25519 key pairs (TEST KEYS ONLY)
    repository/metadata/        1.root.json, 2.root.json, root.json, targets.json,
                                snapshot.json, timestamp.json
    repository/targets/         demo-1.0.tar.gz, demo-1.1.tar.gz, demo-1.1.patch,
                                demo-2.0.tar.gz, demo-2.0.patch
    extra_keys/                 one *encrypted* ed25519 key pair (password below),
                                not used by the repo, only for key-format tests
    variants/root-with-keyid_hash_algorithms/metadata/
                                1.root.json, 2.root.json, root.json re-signed with the
                                same keys after adding "keyid_hash_algorithms" to every
                                key (tough accepts these; tufup's originals it rejects)
    expected_state.json         versions, sha256 of files in each bundle, tar info

Tufa's tests run this once per build (tests/src/lib.rs `fixture()`), with the
Python of the venv scripts/setup.sh makes, into target/; keys, signatures and
.tar.gz bytes differ between runs, bundle contents and tar members do not.

Steps performed:
  1. Repository(app_name='demo', ...).save_config(); .initialize()
     -> creates keys root/targets/snapshot/timestamp and publishes v1 metadata
  2. add_bundle(v1.0) + publish_changes   (archive only, no patch)
  3. add_bundle(v1.1) + publish_changes   (archive + patch 1.0->1.1)
  4. add_bundle(v2.0, custom_metadata=...) + publish_changes (archive + patch)
  5. root key rotation: create key 'root_two', replace_key('root' -> 'root_two'),
     publish_changes -> 2.root.json signed by old AND new root key; targets,
     snapshot, timestamp are re-signed with bumped versions (tufup cascade).
  6. the keyid_hash_algorithms variant of the root files (see above).
"""
import hashlib
import json
import logging
import os
import pathlib
import random
import shutil
import sys
import tarfile

FIXED_MTIME = 1700000000  # 2023-11-14T22:13:20Z, makes tar members reproducible
EXPIRATION_DAYS = dict(root=10000, targets=10000, snapshot=10000, timestamp=10000)
APP_NAME = 'demo'
VERSIONS = ['1.0', '1.1', '2.0']
EXTRA_KEY_PASSWORD = 'tufup-fixture-password'
V2_CUSTOM = {'changes': ['new feature x', 'bug y fixed'], 'channel': 'stable'}

WORDS = (
    'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi '
    'omicron pi rho sigma tau upsilon phi chi psi omega update framework target '
    'snapshot timestamp root metadata signature threshold version archive patch '
    'bundle client repository key rotate expire verify hash length install purge '
    'window linux darwin robocopy batch script config trusted mirror delegate'
).split()


def _text(rng: random.Random, n_bytes: int) -> bytes:
    out, size = [], 0
    while size < n_bytes:
        line = ' '.join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        line = f'{len(out):05d} {line}\n'
        out.append(line)
        size += len(line)
    return ''.join(out).encode()


def _semi_binary(rng: random.Random, n_bytes: int) -> bytes:
    # limited alphabet + runs -> compressible but not trivially so
    alphabet = bytes(range(0, 256, 7))
    buf = bytearray()
    while len(buf) < n_bytes:
        b = rng.choice(alphabet)
        buf.extend(bytes([b]) * rng.randint(1, 6))
    return bytes(buf[:n_bytes])


def make_bundle(version: str, dst: pathlib.Path) -> None:
    """Deterministic bundle content for the given version."""
    if dst.exists():
        shutil.rmtree(dst)
    (dst / 'data' / 'nested').mkdir(parents=True)
    (dst / 'lib').mkdir()
    rng = random.Random(42)  # same base content for all versions
    files = {
        'VERSION': f'{version}\n'.encode(),
        'main.py': f"print('{APP_NAME} {version}')\n".encode(),
        'data/lorem.txt': _text(rng, 110_000),
        'data/nested/table.csv': b'id,value\n'
        + b''.join(f'{i},{rng.randint(0, 10**6)}\n'.encode() for i in range(5000)),
        'lib/core.dat': _semi_binary(rng, 40_000),
    }
    if version in ('1.1', '2.0'):
        # small edits: replace some lines in lorem.txt, extend the csv, new file
        r = random.Random(11)
        lines = files['data/lorem.txt'].split(b'\n')
        for i in r.sample(range(len(lines) - 1), 40):
            lines[i] = b'EDITED-1.1 ' + lines[i][::-1]
        files['data/lorem.txt'] = b'\n'.join(lines)
        files['data/nested/table.csv'] += b''.join(
            f'{i},{r.randint(0, 10**6)}\n'.encode() for i in range(5000, 5400)
        )
        files['data/nested/added_in_1_1.txt'] = _text(r, 3_000)
    if version == '2.0':
        # larger edits: rewrite a block of core.dat, drop a file, add a dir
        r = random.Random(20)
        core = bytearray(files['lib/core.dat'])
        core[10_000:16_000] = _semi_binary(r, 6_000)
        files['lib/core.dat'] = bytes(core) + _semi_binary(r, 5_000)
        del files['data/nested/added_in_1_1.txt']
        (dst / 'plugins').mkdir()
        files['plugins/plugin_a.txt'] = _text(r, 8_000)
        lines = files['data/lorem.txt'].split(b'\n')
        for i in r.sample(range(len(lines) - 1), 60):
            lines[i] = b'EDITED-2.0 ' + lines[i].upper()
        files['data/lorem.txt'] = b'\n'.join(lines)
    for rel, content in files.items():
        (dst / rel).write_bytes(content)
    for p in [dst, *dst.rglob('*')]:
        os.utime(p, (FIXED_MTIME, FIXED_MTIME))


def bundle_manifest(bundle_dir: pathlib.Path) -> dict:
    return {
        p.relative_to(bundle_dir).as_posix(): dict(
            sha256=hashlib.sha256(p.read_bytes()).hexdigest(), size=p.stat().st_size
        )
        for p in sorted(bundle_dir.rglob('*'))
        if p.is_file()
    }


def write_kha_variant(out_dir: pathlib.Path) -> None:
    """Re-signs 1.root.json and 2.root.json with "keyid_hash_algorithms" inside
    every key, into variants/root-with-keyid_hash_algorithms/metadata/ (the key
    ids stay tufup's legacy ids, which then match what tough computes)."""
    from securesystemslib.interface import import_ed25519_privatekey_from_file
    from securesystemslib.signer import SSlibSigner
    from tuf.api.metadata import Metadata
    from tuf.api.serialization.json import JSONSerializer

    src = out_dir / 'repository/metadata'
    dst = out_dir / 'variants/root-with-keyid_hash_algorithms/metadata'
    dst.mkdir(parents=True)
    signers = {
        n: SSlibSigner(import_ed25519_privatekey_from_file(str(out_dir / 'keystore' / n)))
        for n in ['root', 'root_two']
    }
    for fn, keys in [('1.root.json', ['root']), ('2.root.json', ['root', 'root_two'])]:
        md = Metadata.from_file(str(src / fn))
        for k in md.signed.keys.values():
            k.unrecognized_fields['keyid_hash_algorithms'] = ['sha256', 'sha512']
        md.signatures.clear()
        for n in keys:
            md.sign(signers[n], append=True)
        md.to_file(str(dst / fn), serializer=JSONSerializer(compact=False))
    shutil.copy(dst / '2.root.json', dst / 'root.json')


def main(out_dir: pathlib.Path) -> None:
    from securesystemslib.interface import generate_and_write_ed25519_keypair
    import tufup
    from tufup.repo import Repository

    logging.basicConfig(level=logging.INFO)
    out_dir = out_dir.resolve()
    if out_dir.exists() and any(out_dir.iterdir()):
        sys.exit(f'refusing to write into non-empty {out_dir}')
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(out_dir)  # tufup keeps .tufup-repo-config in cwd
    work = out_dir / '_bundles'

    # 1. init (cf. tufup-example repo_init.py)
    repo = Repository(
        app_name=APP_NAME,
        app_version_attr=None,
        repo_dir='repository',
        keys_dir='keystore',
        expiration_days=EXPIRATION_DAYS,
        # key_map, thresholds, encrypted_keys: tufup defaults
        # (one unencrypted key per top-level role, threshold 1)
    )
    repo.save_config()
    repo.initialize()

    # 2-4. add bundles (cf. tufup-example repo_add_bundle.py)
    for version in VERSIONS:
        bundle_dir = work / version
        make_bundle(version, bundle_dir)
        repo = Repository.from_config()
        repo.add_bundle(
            new_bundle_dir=bundle_dir,
            new_version=version,
            custom_metadata=V2_CUSTOM if version == '2.0' else None,
        )
        repo.publish_changes(private_key_dirs=[repo.keys_dir])

    # 5. root key rotation (cf. tufup examples/repo/repo_workflow_example.py)
    repo = Repository.from_config()
    new_pub = repo.keys.create_key_pair(
        private_key_path=repo.keys_dir / 'root_two', encrypted=False
    )
    repo.replace_key(
        old_key_name='root', new_public_key_path=new_pub,
        new_private_key_encrypted=False,
    )
    repo.publish_changes(private_key_dirs=[repo.keys_dir])

    # extra encrypted key pair, only to test the securesystemslib key file format
    generate_and_write_ed25519_keypair(
        password=EXTRA_KEY_PASSWORD, filepath=str(out_dir / 'extra_keys' / 'encrypted_key')
    )

    write_kha_variant(out_dir)

    # expected state
    targets = json.loads((out_dir / 'repository/metadata/targets.json').read_text())
    expected = dict(
        tufup_version=tufup.__version__,
        app_name=APP_NAME,
        versions=VERSIONS,
        latest_version=VERSIONS[-1],
        extra_key_password=EXTRA_KEY_PASSWORD,
        bundles={v: bundle_manifest(work / v) for v in VERSIONS},
        empty_dirs={v: sorted(
            p.relative_to(work / v).as_posix() for p in (work / v).rglob('*')
            if p.is_dir() and not any(p.iterdir())) for v in VERSIONS},
        targets_custom={k: t.get('custom') for k, t in targets['signed']['targets'].items()},
        tar_members={},
    )
    for v in VERSIONS:
        with tarfile.open(out_dir / f'repository/targets/{APP_NAME}-{v}.tar.gz') as tf:
            expected['tar_members'][v] = [
                dict(name=m.name, type=m.type.decode(), size=m.size, mode=oct(m.mode))
                for m in tf.getmembers()
            ]
    (out_dir / 'expected_state.json').write_text(json.dumps(expected, indent=1, sort_keys=True))
    shutil.rmtree(work)
    print(f'fixture written to {out_dir}')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--bundles-only':
        for v in VERSIONS:
            make_bundle(v, pathlib.Path(sys.argv[2]) / v)
    elif len(sys.argv) == 2:
        main(pathlib.Path(sys.argv[1]))
    else:
        sys.exit(__doc__)
