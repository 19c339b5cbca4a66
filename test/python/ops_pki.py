"""Certificates for the health check tests: a CA hierarchy like an ACME CA's, and impostors."""

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()


def issue(common_name: str, issuer: Issued | None = None, *, ca: bool = False,
          dns_names: tuple[str, ...] = ()) -> Issued:
    """Issued by issuer, or self-signed without one; valid from an hour ago for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer.certificate.subject if issuer else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
                                        critical=False)
    return Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


@dataclass
class AcmeCa:
    """A root that is in no trust store (as Let's Encrypt staging's) and its intermediate."""
    root: Issued
    intermediate: Issued

    @classmethod
    def create(cls, name: str) -> "AcmeCa":
        root = issue(f"{name} Root", ca=True)
        return cls(root, issue(f"{name} Intermediate", root, ca=True))

    def leaf(self, hostname: str) -> Issued:
        return issue(hostname, self.intermediate, dns_names=(hostname,))

    def chain(self, leaf: Issued) -> str:
        """What an ACME CA hands out, and what a server sends: the leaf, then the intermediate."""
        return leaf.pem() + self.intermediate.pem()
