"""The secret scanner of CI (scripts/secret_scan.sh) fails on a planted key and passes a clean tree."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "scripts" / "secret_scan.sh"
# Assembled at run time, so that this file itself holds no key for the scanner to find.
FAKE_PRIVATE_KEY = "\n".join(
    ["-----BEGIN " + "PRIVATE KEY-----", "MIGHAgEAMBMGByqGSM49AwEHBG0wawIBAQQg" + "x" * 16, "-----END PRIVATE KEY-----"]
)


def _repository(tmp_path: Path) -> Path:
    """A small git work tree with the project's baseline and one ordinary tracked file."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ROOT / ".secrets.baseline", tmp_path / ".secrets.baseline")
    (tmp_path / "app.py").write_text('GREETING = "hello"\n')
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    return tmp_path


def _scan(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCAN), str(root)], capture_output=True, text=True, timeout=300, check=False)


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    result = _scan(_repository(tmp_path))

    assert result.returncode == 0, result.stderr


def test_a_planted_private_key_fails_the_scan(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    (root / ".tls").mkdir()
    (root / ".tls" / "privkey.pem").write_text(FAKE_PRIVATE_KEY + "\n")
    subprocess.run(["git", "-C", str(root), "add", "-f", ".tls/privkey.pem"], check=True)

    result = _scan(root)

    assert result.returncode == 1
    assert ".tls/privkey.pem:1: Private Key" in result.stderr


def test_a_planted_secret_fails_the_scan(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    (root / "settings.py").write_text('AWS_ACCESS_KEY_ID = "AKIA' + 'ZQ3DRSTUVWXY2345"\n')
    subprocess.run(["git", "-C", str(root), "add", "settings.py"], check=True)

    result = _scan(root)

    assert result.returncode == 1
    assert "settings.py:1: AWS Access Key" in result.stderr
