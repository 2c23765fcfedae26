"""The conference status callback used as a signature vector in the research notes (twilio-2010.md
§4): token 12345, URL below, signed `pzeuIlr9nkTpybpjqv5IvakHuqc=` by the SDK and by hand."""

CONFERENCE_MUTE_FORM = {
    "AccountSid": "AC" + "a" * 32,
    "CallSid": "CA" + "c" * 32,
    "Coaching": "false",
    "ConferenceSid": "CF" + "b" * 32,
    "EndConferenceOnExit": "false",
    "FriendlyName": "MyRoom",
    "Hold": "false",
    "Muted": "true",
    "SequenceNumber": "3",
    "StartConferenceOnEnter": "true",
    "StatusCallbackEvent": "participant-mute",
    "Timestamp": "Thu, 1 Jun 2017 20:48:32 +0000",
}

# When that callback was sent: a receiver checking freshness needs its clock there.
CONFERENCE_MUTE_SENT_AT = 1_496_350_112.0  # 2017-06-01 20:48:32 UTC
