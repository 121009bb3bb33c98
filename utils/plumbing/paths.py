"""Paths relative to the repository, so a script works from any folder and on any OS."""

from pathlib import Path

from utils.plumbing.errors import BadInputError, before_bad_input_exit

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
OUTPUTS_DIR = REPO_ROOT / "outputs"


def data_file(name):
    """Path of a file shipped in `data/`, e.g. `data_file("monthly_milk_production.csv")`."""
    return DATA_DIR / name


def output_dir(case_name, override=None):
    """Create and return the folder a case writes to: `outputs/<case_name>/` or `override`.

    Refuses any folder inside `data/`: the shipped data is never written or changed. If the run
    then ends on bad input before it writes anything, the folders created here are removed again.
    """
    folder = Path(override).expanduser().resolve() if override else OUTPUTS_DIR / case_name
    if folder == DATA_DIR or DATA_DIR in folder.parents:
        raise BadInputError(
            f"--output-dir {folder} is inside data/, which the scripts never write to; "
            "pick another folder, e.g. --output-dir outputs/mine"
        )
    if folder.exists() and not folder.is_dir():
        raise BadInputError(f"--output-dir {folder} is a file, not a folder; pick a folder path")
    new_folders = [folder, *(parent for parent in folder.parents if not parent.exists())]
    new_folders = [f for f in new_folders if not f.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    before_bad_input_exit(lambda: _remove_if_empty(new_folders))
    return folder


def _remove_if_empty(folders):
    """Remove each folder (innermost first) that is still empty."""
    for folder in folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
