"""Profiles and credentials: flags beat the profile, the profile beats the environment, and no secret
ever comes from argv or the config file."""

from __future__ import annotations

import pytest

from confmon import registry
from confmon.config import (
    MIB,
    ConfigError,
    RefusedProfile,
    check_account_sid,
    credentials_from_env,
    load_profiles,
    resolve_connection,
)

SID = "AC" + "1" * 32
DEFAULTS = {"twilio2010": "https://api.twilio.com", "restcomm": None, "telnyx": "https://api.telnyx.com"}


def default_url(dialect: str) -> str | None:
    return DEFAULTS.get(dialect, "https://api.twilio.com")


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_profiles_load_and_describe_without_secrets(tmp_path):
    path = write(tmp_path, f"""
[profiles.lab]
dialect = "restcomm"
base_url = "https://restcomm.lab.example:8443"
account_sid = "{SID}"
auth_token_env = "LAB_TOKEN"
""")
    profiles = load_profiles(path)
    assert list(profiles) == ["lab"]
    assert profiles["lab"].dialect == "restcomm"
    assert "$LAB_TOKEN" in profiles["lab"].describe()


def test_a_profile_supplies_dialect_url_account_and_the_token_variable(tmp_path):
    path = write(tmp_path, f"""
[profiles.lab]
dialect = "restcomm"
base_url = "https://restcomm.lab.example:8443/"
account_sid = "{SID}"
auth_token_env = "LAB_TOKEN"
""")
    connection = resolve_connection(
        profile_name="lab", default_base_url=default_url, env={"LAB_TOKEN": "s3"}, config_path=path
    )
    assert (connection.dialect, connection.base_url, connection.profile) == (
        "restcomm", "https://restcomm.lab.example:8443", "lab"
    )
    assert connection.credentials.account_sid == SID
    assert connection.credentials.password.reveal() == "s3"


def test_flags_beat_the_profile(tmp_path):
    path = write(tmp_path, f'[profiles.p]\ndialect = "twilio2008"\naccount_sid = "{SID}"\n')
    connection = resolve_connection(
        profile_name="p", dialect="twilio2010", base_url="http://127.0.0.1:9", default_base_url=default_url,
        env={"TWILIO_AUTH_TOKEN": "t"}, config_path=path,
    )
    assert (connection.dialect, connection.base_url) == ("twilio2010", "http://127.0.0.1:9")


def test_without_a_profile_the_environment_and_the_dialect_default_are_used():
    connection = resolve_connection(
        default_base_url=default_url, env={"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}
    )
    assert (connection.dialect, connection.base_url) == ("twilio2010", "https://api.twilio.com")


def test_telnyx_accounts_are_not_twilio_sids():
    env = {"TWILIO_ACCOUNT_SID": "3f1c7d2e-0b8a-4c55-9a9e-1d2f3a4b5c6d", "TWILIO_AUTH_TOKEN": "KEY"}
    connection = resolve_connection(dialect="telnyx", default_base_url=default_url, env=env)
    assert connection.credentials.account_sid.startswith("3f1c")
    with pytest.raises(ConfigError):
        resolve_connection(dialect="twilio2010", default_base_url=default_url, env=env)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[profiles.p]\nauth_token = "oops"\n', "secrets do not belong"),
        ('[profiles.p]\napi_secret = "oops"\n', "secrets do not belong"),
        ('[profiles.p]\ndialekt = "x"\n', "unknown setting"),
        ('[profiles.p]\ndialect = "plivo"\n', "unknown dialect"),
        ('[profiles.p]\nauth_token_env = "not a name"\n', "environment variable name"),
        ('[profiles.p]\nport = 8\n', "unknown setting"),
        ('[profiles.p]\ndialect = 8\n', "every setting but max_body_mib is a string"),
        ('[profiles.p]\nmax_body_mib = 0\n', "max_body_mib must be a positive number of MiB"),
        ('[profiles.p]\nmax_body_mib = -16\n', "max_body_mib must be a positive number of MiB"),
        ('[profiles.p]\nmax_body_mib = 1e-9\n', "(one byte at least)"),
        ('[profiles.p]\nmax_body_mib = nan\n', "max_body_mib must be a positive number of MiB"),
        ('[profiles.p]\nmax_body_mib = inf\n', "max_body_mib must be a positive number of MiB"),
        ('[profiles.p]\nmax_body_mib = "16"\n', "max_body_mib must be a positive number of MiB"),
        ('[profiles.p]\nmax_body_mib = true\n', "max_body_mib must be a positive number of MiB"),
        ('[profiles]\np = "oops"\n', "must be a table"),
    ],
)
def test_a_bad_profile_is_refused_when_used_in_one_line(tmp_path, text, words):
    path = write(tmp_path, text)
    refused = load_profiles(path)["p"]
    assert isinstance(refused, RefusedProfile) and words in refused.describe()
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}
    with pytest.raises(ConfigError) as error:
        resolve_connection(profile_name="p", env=env, config_path=path)
    assert words in str(error.value) and str(path) in str(error.value)
    for message in (str(error.value), refused.describe()):
        assert "oops" not in message
        assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "words"), [("[profiles\n", "cannot read"), ('profiles = "oops"\n', "must be a table of tables")]
)
def test_a_config_file_that_cannot_be_read_is_a_one_line_error(tmp_path, text, words):
    with pytest.raises(ConfigError) as error:
        load_profiles(write(tmp_path, text))
    assert words in str(error.value)
    assert "oops" not in str(error.value)
    assert "\n" not in str(error.value)


def test_one_profile_with_a_secret_leaves_the_others_usable(tmp_path):
    path = write(tmp_path, f"""
[profiles.leaky]
account_sid = "{SID}"
auth_token = "PASTED-SECRET"

[profiles.lab]
dialect = "restcomm"
base_url = "https://lab.example"
account_sid = "{SID}"
auth_token_env = "LAB_TOKEN"
""")
    profiles = load_profiles(path)
    assert list(profiles) == ["leaky", "lab"]
    assert profiles["leaky"].describe().startswith("leaky: not usable: profiles.leaky.auth_token: secrets do not")
    assert "PASTED-SECRET" not in profiles["leaky"].describe()
    connection = resolve_connection(profile_name="lab", env={"LAB_TOKEN": "lab-token"}, config_path=path)
    assert connection.credentials.password.reveal() == "lab-token"
    with pytest.raises(ConfigError, match="secrets do not belong") as error:
        resolve_connection(profile_name="leaky", env={"TWILIO_AUTH_TOKEN": "t"}, config_path=path)
    assert "PASTED-SECRET" not in str(error.value)


@pytest.mark.parametrize(
    ("table", "dialect", "message"),
    [
        ('dialect = "restcomm"\nauth_token_env = "LAB_TOKEN"', "restcomm", "no secret: set LAB_TOKEN"),
        ('auth_token_env = "LAB_TOKEN"', "twilio2010", "no secret: set LAB_TOKEN"),
        ('api_key_env = "LAB_KEY"\napi_secret_env = "LAB_KEY_SECRET"\nauth_token_env = "LAB_TOKEN"', "twilio2010",
         "no secret: set LAB_TOKEN, or LAB_KEY and LAB_KEY_SECRET"),
        (None, "twilio2010", "no secret: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET"),
        (None, "restcomm", "no secret: set TWILIO_AUTH_TOKEN"),  # RestComm takes no API key
    ],
)
def test_a_missing_secret_names_the_variables_this_profile_reads(tmp_path, table, dialect, message):
    env = {"TWILIO_ACCOUNT_SID": SID}
    with pytest.raises(ConfigError) as error:
        if table is None:
            resolve_connection(dialect=dialect, base_url="https://x.example", env=env)
        else:
            path = write(tmp_path, f'[profiles.lab]\naccount_sid = "{SID}"\n{table}\n')
            resolve_connection(profile_name="lab", base_url="https://x.example", env=env, config_path=path)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("table", "env", "message"),
    [
        ('api_key = "SK' + "a" * 32 + '"\napi_secret_env = "LAB_KEY_SECRET"', {},
         "set LAB_KEY_SECRET, the secret of API key SK" + "a" * 32 + ", or drop the key"),
        ('api_secret_env = "LAB_KEY_SECRET"', {"LAB_KEY_SECRET": "s"},
         "LAB_KEY_SECRET holds an API key's secret, but profile lab names no key (api_key)"),
        ('api_key_env = "LAB_KEY"\napi_secret_env = "LAB_KEY_SECRET"', {"LAB_KEY_SECRET": "s"},
         "set both LAB_KEY and LAB_KEY_SECRET, or neither"),
    ],
)
def test_half_an_api_key_names_what_is_missing(tmp_path, table, env, message):
    path = write(tmp_path, f'[profiles.lab]\naccount_sid = "{SID}"\nauth_token_env = "LAB_TOKEN"\n{table}\n')
    with pytest.raises(ConfigError) as error:
        resolve_connection(profile_name="lab", base_url="https://x.example", env=env, config_path=path)
    assert str(error.value) == message


def test_unknown_profile_and_dialect_without_a_default_url(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(ConfigError, match="no profile 'nope'"):
        resolve_connection(profile_name="nope", default_base_url=default_url, config_path=path)
    with pytest.raises(ConfigError, match="has no public default"):
        resolve_connection(dialect="restcomm", default_base_url=default_url, env={"TWILIO_ACCOUNT_SID": SID})


def test_a_missing_config_file_means_no_profiles(tmp_path):
    assert load_profiles(tmp_path / "absent.toml") == {}


def test_a_profile_never_takes_the_twilio_secrets_by_default(tmp_path):
    """A NOC with a RestComm lab beside its Twilio account: the lab must get the lab's token."""
    path = write(tmp_path, f"""
[profiles.lab]
dialect = "restcomm"
base_url = "https://lab.example"
account_sid = "{SID}"
auth_token_env = "LAB_TOKEN"

[profiles.tx]
dialect = "telnyx"
account_sid = "tx-account"
auth_token_env = "TELNYX_KEY"
""")
    env = {"TWILIO_API_KEY": "SK" + "a" * 32, "TWILIO_API_SECRET": "TWILIO-SECRET", "TWILIO_AUTH_TOKEN": "TWILIO-TOKEN",
           "LAB_TOKEN": "lab-token", "TELNYX_KEY": "telnyx-key"}
    for name, token in (("lab", "lab-token"), ("tx", "telnyx-key")):
        connection = resolve_connection(profile_name=name, default_base_url=default_url, env=env, config_path=path)
        assert connection.credentials.password.reveal() == token
        assert connection.credentials.username == connection.credentials.account_sid


def test_a_non_twilio_profile_must_name_its_token_variable(tmp_path):
    path = write(tmp_path, '[profiles.lab]\ndialect = "restcomm"\n')
    assert "auth_token_env" in load_profiles(path)["lab"].describe()
    with pytest.raises(ConfigError, match="auth_token_env"):
        resolve_connection(profile_name="lab", env={"TWILIO_AUTH_TOKEN": "t"}, config_path=path)


def test_a_base_url_with_a_password_is_refused_without_echoing_it(tmp_path):
    path = write(tmp_path, f'[profiles.p]\nbase_url = "ftp://u:SECRETPW@h"\naccount_sid = "{SID}"\n')
    with pytest.raises(ConfigError) as error:
        resolve_connection(profile_name="p", default_base_url=default_url, env={"TWILIO_AUTH_TOKEN": "t"},
                           config_path=path)
    assert "SECRETPW" not in str(error.value)


UUID = "3f1c7d2e-0b8a-4c55-9a9e-1d2f3a4b5c6d"


@pytest.mark.parametrize(
    ("dialect", "sid", "problem"),
    [
        ("twilio2010", "AC" + "aB" * 16, None),
        ("twilio2010-xml", SID, None),
        ("twilio2008", UUID, "AC followed by 32 hex digits"),
        ("restcomm", "AC" + "1" * 31, "AC followed by 32 hex digits"),
        ("signalwire", UUID, None),
        ("telnyx", "tx-account:1@a.b", None),
        ("telnyx", SID, None),
        ("telnyx", "a/b", "only letters, digits"),
        ("signalwire", "x" * 129, "only letters, digits"),
        ("plivo", SID, "unknown dialect 'plivo'"),
    ],
)
def test_account_ids_by_dialect(dialect, sid, problem):
    if problem is None:
        check_account_sid(sid, dialect)
    else:
        with pytest.raises(ConfigError, match=problem):
            check_account_sid(sid, dialect)


@pytest.mark.parametrize("dialect", registry.NAMES)
def test_without_a_profile_every_dialect_reads_the_twilio_variables_and_only_2010_the_api_key(dialect):
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "token",
           "TWILIO_API_KEY": "SK" + "a" * 32, "TWILIO_API_SECRET": "key-secret"}
    credentials = credentials_from_env(env, dialect=dialect)
    takes_keys = dialect in ("twilio2010", "twilio2010-xml")
    assert credentials.password.reveal() == ("key-secret" if takes_keys else "token")


def test_without_a_url_function_the_registry_gives_the_dialects_default():
    env = {"TWILIO_ACCOUNT_SID": UUID, "TWILIO_AUTH_TOKEN": "KEY"}
    assert resolve_connection(dialect="telnyx", env=env).base_url == "https://api.telnyx.com"
    with pytest.raises(ConfigError, match="has no public default"):
        resolve_connection(dialect="signalwire", env=env)


def test_max_body_comes_from_the_flag_else_the_profile_else_the_clients_default(tmp_path):
    path = write(tmp_path, f"""
[profiles.big]
account_sid = "{SID}"
max_body_mib = 64

[profiles.tiny]
account_sid = "{SID}"
max_body_mib = 0.5

[profiles.plain]
account_sid = "{SID}"

[profiles.broken]
account_sid = "{SID}"
max_body_mib = 0
""")
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}

    def max_body(profile: str | None, flag: float | None = None) -> int | None:
        return resolve_connection(profile_name=profile, max_body_mib=flag, env=env, config_path=path).max_body

    profiles = load_profiles(path)
    assert profiles["big"].describe().endswith(", bodies up to 64 MiB")
    assert (max_body("big"), max_body("tiny")) == (64 * MIB, MIB // 2)
    assert max_body("plain") is None and max_body(None) is None
    assert max_body("big", 2) == max_body(None, 2) == 2 * MIB  # the flag wins
    # A profile with a bad cap is refused alone, with the reason; the others stay usable.
    assert profiles["broken"].describe() == (
        "broken: not usable: profiles.broken.max_body_mib must be a positive number of MiB (one byte at least)"
    )
    with pytest.raises(ConfigError, match="max_body_mib must be a positive number"):
        max_body("broken", 2)
