"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint and an offline browse UI."""
