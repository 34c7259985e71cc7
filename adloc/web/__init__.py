"""The web app (`adloc serve`): submit jobs, follow them, review items, in a browser."""
