"""A simulator of Twilio's REST API 2010-04-01 conferences: a real HTTP server over a seeded world.

`world` (the account; `rooms` holds the rules, `traffic` the seeded life) knows no HTTP;
`server` serves it with `api` (endpoints), `resources` (wire shapes), `formats`, `paging`, `faults`.
"""
