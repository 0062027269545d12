DROP TABLE known_sign_in_addresses;
