"""`amends serve`, `demo`, `createuser`, `backup` and `restore`."""
