"""A real SMTP server for the email adapter's tests (aiosmtpd): listens on 127.0.0.1:PORT,
writes each message it accepts to DIR/<n>.eml as received, and answers RCPT for
nobody@... with 550 and for full@... with 452, so a test can see both kinds of failure.
With a LOGIN:PASSWORD argument it requires AUTH (over plain TCP: loopback tests only).
Faults on demand: while the file DIR/../fault exists, every MAIL FROM is answered with its
first line (e.g. "451 4.3.0 Try again later" or "554 5.7.1 Rejected"); each MAIL FROM is
noted as a line in DIR/../attempts, so a test can count the tries.
Usage: python3 smtp_sink.py PORT DIR [LOGIN:PASSWORD]"""
import asyncio
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        control = os.path.dirname(os.path.abspath(self.directory))
        with open(os.path.join(control, "attempts"), "a") as f:
            f.write(address + "\n")
        try:
            with open(os.path.join(control, "fault")) as f:
                answer = f.readline().strip()
        except FileNotFoundError:
            answer = ""
        if answer:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("full@"):
            return "452 4.2.2 Mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        tmp = os.path.join(self.directory, f".{self.count}.tmp")
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-From: {envelope.mail_from}\r\n".encode())
            f.write(f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.directory, f"{self.count}.eml"))
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    credentials = sys.argv[3].split(":", 1) if len(sys.argv) > 3 else None

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and credentials is not None
              and auth_data.login.decode() == credentials[0]
              and auth_data.password.decode() == credentials[1])
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    kwargs = {}
    if credentials:
        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(Handler(directory), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
