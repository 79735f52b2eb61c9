"""The web server's parts other than the webhook (serve.py): its typed state, who may call and
how often, the operator API, errors as JSON."""
