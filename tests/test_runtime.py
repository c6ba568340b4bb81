import subprocess
import sys


def test_tune_for_serving_freezes_startup_objects_and_raises_thresholds() -> None:
    # in a child process: the settings are process-wide
    code = (
        "import gc; from smsgate.runtime import THRESHOLDS, tune_for_serving; "
        "tune_for_serving(); assert gc.get_threshold() == THRESHOLDS; "
        "assert gc.get_freeze_count() > 1000, gc.get_freeze_count()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
