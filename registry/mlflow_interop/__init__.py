"""MLflow interop: read registered models, versions, runs and artefact URIs from an MLflow tracking server into the
registry, and write Warden's governance status back to MLflow as tags. Talks to MLflow's REST API over HTTP; the
gateway never imports the mlflow package."""
