#!/usr/bin/env python3
"""Checks `verifyd sandbox` through the official clients as published: twilio-python 9.13.0 and authy-python 2.2.6.

Usage: official_clients.py BASE_URL LIMIT_BASE_URL

BASE_URL is a fresh sandbox (nothing sent yet) with the default credentials and limits; LIMIT_BASE_URL another one,
used only to prove that the Verification Attempts API admits 100 requests per minute by default. Every check that
fails is printed; the exit status is 0 when all passed, 1 otherwise (2 for bad usage or missing clients).
Set up the clients with scripts/client-venv.sh and run this with .build/clients-venv/bin/python.
"""

import datetime
import os
import sys

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"  # the sandbox is on loopback

try:
    import authy
    import requests
    import twilio
    from authy.api import AuthyApiClient
    from twilio.base.exceptions import TwilioException, TwilioRestException
    from twilio.rest import Client
except ImportError as error:
    print(f"official clients missing ({error}): run scripts/client-venv.sh", file=sys.stderr)
    sys.exit(2)

API_KEY = "sandbox-api-key"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "sandbox-auth-token"
SERVICE_SID = "VA" + "0" * 32
failures = []


def check(condition, what):
    """Records a failed check; returns the condition."""
    if not condition:
        failures.append(what)
        print(f"FAILED: {what}", file=sys.stderr)
    return condition


def code(e164, length):
    """The sandbox's code for a number: 64-bit FNV-1a of its UTF-8 bytes, modulo 10^length, zero-padded."""
    value = 0xCBF29CE484222325
    for byte in e164.encode():
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return str(value % 10**length).zfill(length)


def raises(call, status, error_code):
    """Whether `call` raises TwilioRestException with this HTTP status and Twilio error code."""
    try:
        call()
    except TwilioRestException as error:
        return error.status == status and error.code == error_code
    return False


def twilio_client(base):
    """A twilio-python client whose Verify domain is the sandbox."""
    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.verify.base_url = base
    return client


def check_verifications(client, sent, converted):
    """Verify V2 verifications: create, fetch and update by sid and number, checks, 60203 and 60202.

    Appends each attempt sid sent to `sent` (oldest first) and each one that must be converted to `converted`."""
    verifications = client.verify.v2.services(SERVICE_SID).verifications

    def start(number, channel="sms"):
        verification = verifications.create(to=number, channel=channel)
        sent.append(verification.send_code_attempts[-1]["attempt_sid"])
        return verification

    first = start("+12025550101")
    check(first.status == "pending" and first.sid.startswith("VE"), "create: a pending VE… verification")
    check(first.to == "+12025550101" and first.channel == "sms", "create: to and channel echoed")
    check(first.send_code_attempts[0]["attempt_sid"].startswith("VL"), "create: send_code_attempts[].attempt_sid")
    check(first.date_created.tzinfo is not None, "create: date_created read as an ISO 8601 UTC datetime")
    check(verifications(first.sid).fetch().sid == first.sid, "fetch by sid")
    check(verifications("+12025550101").fetch().sid == first.sid, "fetch by number answers with the VE… sid")
    canceled = verifications(first.sid).update(status="canceled")
    check(canceled.status == "canceled" and canceled.sid == first.sid, "update canceled by sid")
    check(raises(lambda: verifications(first.sid).fetch(), 404, 20404), "a canceled verification is 404 20404")
    second = start("+12025550101")
    check(second.sid != first.sid, "a start after a cancel is a new verification")
    approved = verifications("+12025550101").update(status="approved")
    check(approved.status == "approved" and approved.sid == second.sid, "update approved by number")
    converted.append(sent[-1])

    checks = client.verify.v2.services(SERVICE_SID).verification_checks
    start("+12025550102", channel="call")
    wrong = checks.create(to="+12025550102", code="000000")
    check(wrong.status == "pending" and wrong.valid is False, "a wrong code leaves the verification pending")
    right = checks.create(to="+12025550102", code=code("+12025550102", 6))
    check(right.status == "approved" and right.valid is True, "the right code approves")
    converted.append(sent[-1])

    for _ in range(5):
        start("+12025550103")
    check(
        raises(lambda: verifications.create(to="+12025550103", channel="sms"), 429, 60203),
        "the 6th send to a live verification is 429 60203")

    start("+12025550104")
    for index in range(6):  # enough attempts for three pages of 7
        start(f"+1202555020{index}")
    for _ in range(5):
        checks.create(to="+12025550104", code="000000")
    check(
        raises(lambda: checks.create(to="+12025550104", code=code("+12025550104", 6)), 429, 60202),
        "a check after 5 wrong codes is 429 60202")


def check_attempts(client, since, sent, converted):
    """The Verification Attempts API: paging, filters, fetch and summary."""
    attempts = client.verify.v2.verification_attempts
    page = attempts.page(verify_service_sid=SERVICE_SID, date_created_after=since, page_size=7)
    listed, pages = [], 0
    while page is not None:
        listed += [attempt.sid for attempt in page]
        pages += 1
        page = page.next_page()
    check(pages == (len(sent) + 6) // 7 and pages >= 3, f"listing in pages of 7 spans {pages} pages")
    check(listed == sent[::-1], "the listing is exactly the attempts sent, newest first")
    streamed = attempts.list(verify_service_sid=SERVICE_SID, date_created_after=since, page_size=7)
    check([attempt.sid for attempt in streamed] == sent[::-1], "list() follows next_page_url to the end")

    to = attempts.list(channel_data_to="+12025550103", date_created_after=since)
    check(len(to) == 5 and all(a.channel_data["to"] == "+12025550103" for a in to), "filter channel_data_to")
    done = attempts.list(status="converted", date_created_after=since)
    check(sorted(a.sid for a in done) == sorted(converted), "filter status=converted")
    check(all(a.conversion_status == "converted" for a in done), "converted attempts say so")
    calls = attempts.list(channel="call")
    check([a.sid for a in calls] == [sent[2]], "filter channel=call")

    one = client.verify.v2.verification_attempts(sent[0]).fetch()
    check(one.sid == sent[0] and one.verification_sid.startswith("VE"), "fetch an attempt by its VL sid")
    check(one.channel == "sms" and one.channel_data == {"to": "+12025550101"}, "an attempt's channel and channel_data")
    check(one.account_sid == ACCOUNT_SID and one.service_sid == SERVICE_SID, "an attempt's account and service")
    check(one.conversion_status == "unconverted" and one.date_updated is not None, "a canceled attempt is unconverted")
    check(isinstance(one.price, dict) and "currency" in one.price, "an attempt's price object")
    check(raises(lambda: client.verify.v2.verification_attempts("VL" + "0" * 32).fetch(), 404, 20404),
          "an unknown attempt is 404 20404")

    summary = client.verify.v2.verification_attempts_summary().fetch(
        verify_service_sid=SERVICE_SID, date_created_after=since)
    check(summary.total_attempts == len(sent), "summary total_attempts")
    check(summary.total_converted == len(converted), "summary total_converted")
    check(summary.total_unconverted == len(sent) - len(converted), "summary total_unconverted")
    expected_rate = f"{100 * len(converted) / len(sent):.2f}"
    check(summary.conversion_rate_percentage == expected_rate, "summary conversion_rate_percentage is a string")


def check_default_attempts_limit(base):
    """On a fresh sandbox: 100 Attempts requests in a minute pass, the 101st is 429 20429 with Retry-After."""
    client = twilio_client(base)
    summaries = client.verify.v2.verification_attempts_summary
    admitted = 0
    try:
        for _ in range(100):
            summaries().fetch(verify_service_sid=SERVICE_SID)
            admitted += 1
    except TwilioRestException:
        pass
    check(admitted == 100, f"100 Attempts requests in a minute are admitted ({admitted} were)")
    check(raises(lambda: summaries().fetch(), 429, 20429), "the 101st Attempts request is 429 20429")
    try:
        client.verify.v2.verification_attempts.list(page_size=5)
        check(False, "a listing over the limit fails")
    except TwilioException:
        pass
    raw = requests.get(f"{base}/v2/Attempts", auth=(ACCOUNT_SID, AUTH_TOKEN))
    retry_after = raw.headers.get("Retry-After", "")
    check(raw.status_code == 429 and retry_after.isdigit() and 1 <= int(retry_after) <= 60,
          f"a 429 carries Retry-After in whole seconds ({retry_after!r})")


def check_authy(base):
    """Authy V1 through authy-python: start (sms, call, locales, calling codes), check and status."""
    phones = AuthyApiClient(API_KEY, api_uri=base).phones
    sms = phones.verification_start("202-555-0142", "1", via="sms")
    check(sms.ok() and sms["success"] is True, "V1 start by SMS")
    check(sms["message"] == "Text message sent to +1 202-555-0142.", "V1 start message")
    call = phones.verification_start("07911 123456", "44", via="call", locale="es", code_length=6)
    check(call.ok() and call["seconds_to_expire"] == 599, "V1 start by call with a supported locale")

    unsupported = phones.verification_start("2025550143", "1", via="sms", locale="xx")
    check(not unsupported.ok() and unsupported.response.status_code == 404, "an unsupported locale is 404")
    check("error_code" not in unsupported.content, "the unsupported-locale 404 has no error_code")
    unassigned = phones.verification_start("2025550143", "999", via="sms")
    check(not unassigned.ok() and unassigned.response.status_code == 400, "an unassigned calling code is refused")
    check(unassigned.content.get("error_code") == "60033", "an unassigned calling code is 60033")

    wrong = phones.verification_check("202-555-0142", "1", "0000")
    check(not wrong.ok() and wrong.content.get("error_code") == "60022", "V1 wrong code is 60022")
    right = phones.verification_check("202-555-0142", "1", code("+12025550142", 4))
    check(right.ok() and right["message"] == "Verification code is correct.", "V1 right code")
    # authy-python 2.2.6 has no verification_status: the status endpoint is asked directly.
    status = requests.get(f"{base}/protected/json/phones/verification/status",
                          params={"country_code": "1", "phone_number": "202-555-0142"},
                          headers={"X-Authy-API-Key": API_KEY})
    check(status.status_code == 200 and status.json().get("status") == "verified", "V1 status after a right code")
    by_uuid = requests.get(f"{base}/protected/json/phones/verification/status",
                           params={"uuid": call["uuid"]}, headers={"X-Authy-API-Key": API_KEY})
    check(by_uuid.status_code == 200 and by_uuid.json().get("status") == "pending", "V1 status by uuid")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, limit_base = argv[1].rstrip("/"), argv[2].rstrip("/")
    if twilio.__version__ != "9.13.0" or authy.__version__ != "2.2.6":
        print(f"need twilio 9.13.0 and authy 2.2.6, found {twilio.__version__} and {authy.__version__}: "
              "run scripts/client-venv.sh", file=sys.stderr)
        return 2
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    sent, converted = [], []
    client = twilio_client(base)
    check_verifications(client, sent, converted)
    check_attempts(client, since, sent, converted)
    check_default_attempts_limit(limit_base)
    check_authy(base)
    print(f"{len(failures)} failed checks; {len(sent)} attempts sent through twilio-python")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
