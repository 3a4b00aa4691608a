#!/usr/bin/env python3
"""Python tufup 0.10 publishing, for Tufa's benchmark (same calls as
tufup-example's repo_init.py / repo_add_bundle.py).

    tufup_publish.py init WORK_DIR APP BUNDLE_DIR VERSION   # repo + first release
    tufup_publish.py add  WORK_DIR APP BUNDLE_DIR VERSION   # measured: add_bundle + publish
"""
import os
import pathlib
import sys
import time

from tufup.repo import Repository


def main(mode, work, app, bundle, version):
    work = pathlib.Path(work).resolve()
    bundle = pathlib.Path(bundle).resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)  # tufup keeps .tufup-repo-config in the cwd
    if mode == 'init':
        repo = Repository(app_name=app, app_version_attr=None, repo_dir='repository', keys_dir='keystore')
        repo.save_config()
        repo.initialize()
    t0 = time.perf_counter()
    repo = Repository.from_config()
    repo.add_bundle(new_bundle_dir=bundle, new_version=version)
    t1 = time.perf_counter()
    repo.publish_changes(private_key_dirs=[repo.keys_dir])
    t2 = time.perf_counter()
    print(f'{{"add_bundle_secs": {t1 - t0:.3f}, "publish_secs": {t2 - t1:.3f}}}')


if __name__ == '__main__':
    main(*sys.argv[1:6])
