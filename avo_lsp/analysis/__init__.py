"""Call-site analysis: finders per language (no LSP imports) and the checks on calls."""
