"""The engine: accept -> dispatch -> route -> deliver -> notify. Async services, no sockets."""
