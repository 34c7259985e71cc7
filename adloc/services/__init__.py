"""What both faces call: submitting and running jobs, the worker loop, status, review decisions.
The CLI (`adloc.cli`) and the web app (`adloc.web`) parse and print; the rules live here."""
