"""A simulator of conference REST APIs (Twilio 2010 and 2008, RestComm, SignalWire, Telnyx) over one seeded world.

`world` (the account; `rooms` holds the rules, recordings and announcements, `traffic` the seeded
life) knows no HTTP. `server` serves it in one dialect per server, several servers may share a
world: `dialects/` holds one module per API (routes, wire shapes, errors, authentication) on a
small common base (`dialects/base`), with `paging`, `forms` (request values), `xmlwrite`, `auth`,
`errors` (the one error every dialect renders its own way) and `faults` shared by all.
"""
