"""A stand-in for Traefik in front of the hub: HTTPS on port 443, /hub/health answers STATUS.

Usage: python https_hub.py CHAIN.pem KEY.pem STATUS [no-certificate]. Prints "listening" once it
accepts connections. With no-certificate it ends every handshake, as Traefik's strict SNI does for a
name it has no certificate for yet.
"""

import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main(chain: str, key: str, status: str, mode: str = "") -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(int(status) if self.path == "/hub/health" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 443), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    if mode == "no-certificate":
        context.sni_callback = lambda *_: ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    print("listening", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
