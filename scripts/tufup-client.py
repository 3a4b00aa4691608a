#!/usr/bin/env python3
"""Update an installed app from a Tufa repository with the *Python* tufup
0.10 client: what apps built on tufup in the field do.

    .venv/bin/python scripts/tufup-client.py --url http://127.0.0.1:8765 \
        --app hello --version 1.0 --install-dir INSTALL --state-dir STATE \
        --root demo/repository/metadata/1.root.json

STATE keeps the client's trusted metadata and downloaded archives between
runs, as an installed app would. Prints the version installed afterwards.
"""
import argparse
import pathlib
import shutil

from tufup.client import Client
from tufup.utils import remove_path


def install(src_dir, dst_dir, purge_dst_dir=False, exclude_from_purge=None, **kwargs):
    # tufup's default installer does not support Linux; this mirrors its
    # macOS one (purge, copy over, clear the extract dir) minus the restart.
    dst_dir = pathlib.Path(dst_dir)
    if purge_dst_dir:
        for p in dst_dir.iterdir():
            remove_path(p)
    shutil.copytree(src_dir, dst_dir, dirs_exist_ok=True, symlinks=True)
    for p in pathlib.Path(src_dir).iterdir():
        remove_path(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--url', required=True, help='repository base URL (with metadata/ and targets/)')
    ap.add_argument('--app', required=True)
    ap.add_argument('--version', required=True, help='currently installed version')
    ap.add_argument('--install-dir', required=True, type=pathlib.Path)
    ap.add_argument('--state-dir', required=True, type=pathlib.Path)
    ap.add_argument('--root', required=True, type=pathlib.Path, help='trusted root.json shipped with the app')
    ap.add_argument('--no-patch', action='store_true')
    args = ap.parse_args()
    meta, targets, extract = (args.state_dir / n for n in ('metadata', 'targets', 'extract'))
    for d in (args.install_dir, meta, targets, extract):
        d.mkdir(parents=True, exist_ok=True)
    if not (meta / 'root.json').exists():
        shutil.copy(args.root, meta / 'root.json')
    client = Client(
        app_name=args.app, app_install_dir=args.install_dir, current_version=args.version,
        metadata_dir=meta, metadata_base_url=f'{args.url}/metadata/',
        target_dir=targets, target_base_url=f'{args.url}/targets/', extract_dir=extract,
        refresh_required=False,
    )
    new = client.check_for_updates(patch=not args.no_patch)
    if not new:
        print(f'{args.app} {args.version} is up to date')
        return
    files = ', '.join(sorted(str(t) for t in client.new_targets))
    print(f'updating {args.app} {args.version} -> {new.version} via {files}')
    client.download_and_apply_update(skip_confirmation=True, install=install, purge_dst_dir=True)
    print(f'installed {args.app} {new.version}')


if __name__ == '__main__':
    main()
