-- Where each account last signed in successfully, per client (an IPv4
-- address or an IPv6 network, as the throttle counts them): after many
-- failures for one account from anywhere, sign-ins from these addresses go
-- on undelayed, so the owner is never locked out by someone else's guesses.
CREATE TABLE known_sign_in_addresses (
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    last_success_at TIMESTAMP NOT NULL,
    PRIMARY KEY (username, client)
);
CREATE INDEX known_sign_in_addresses_last_success_at ON known_sign_in_addresses (last_success_at);
