"""Upload endpoint: content types, routes and org names look like ids but load nothing."""

from flask import Flask, jsonify, request

app = Flask(__name__)
ALLOWED = {"image/jpeg", "image/png", "application/pdf"}
ROUTES = ["api/v1", "admin/users"]
OWNER = "openai/whisper"  # the upstream project we benchmark against, in the README only


@app.post("/upload")
def upload():
    kind = request.headers.get("Content-Type", "application/octet-stream")
    if kind not in ALLOWED:
        return jsonify(error=f"unsupported {kind}; see docs/upload.md"), 415
    return jsonify(ok=True, owner=OWNER)
