"""The TLS context of the SMPP server, and the self-signed certificate of the embedded set-up.

The certificate is made once with the `openssl` command (present wherever Python's ssl module
is) and kept beside the database, so clients that pin it keep working across restarts.
"""

import shutil
import ssl
import subprocess
from pathlib import Path

CERT_NAME, KEY_NAME = "smpp-tls.crt", "smpp-tls.key"


class CertificateError(RuntimeError):
    pass


def self_signed(directory: Path, common_name: str = "localhost") -> tuple[Path, Path]:
    """(certificate, key) in `directory`, generated when missing."""
    cert, key = directory / CERT_NAME, directory / KEY_NAME
    if cert.exists() and key.exists():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError("no openssl command to generate the SMPP TLS certificate")
    directory.mkdir(parents=True, exist_ok=True)
    command = [
        openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
        "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={common_name}",
        "-addext", f"subjectAltName=DNS:{common_name},IP:127.0.0.1",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CertificateError(f"openssl failed: {done.stderr.strip()}")
    key.chmod(0o600)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
