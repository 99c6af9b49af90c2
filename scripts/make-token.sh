#!/bin/sh
# Makes an API token for NAME, adds its SHA-256 to a tokens file (default secrets/tokens.json, the file
# docker-compose.yml mounts as API_TOKENS_FILE), and prints the token once: only its holder keeps it.
#   usage: sh scripts/make-token.sh NAME [FILE]
set -eu
name="${1:?usage: sh scripts/make-token.sh NAME [FILE]}"
file="${2:-secrets/tokens.json}"
mkdir -p "$(dirname "$file")"
NAME="$name" FILE="$file" node --input-type=module -e '
  import { createHash, randomBytes } from "node:crypto";
  import { existsSync, readFileSync, writeFileSync } from "node:fs";
  const { NAME: name, FILE: file } = process.env;
  const tokens = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).filter((t) => t.name !== name) : [];
  const token = randomBytes(32).toString("hex");
  tokens.push({ name, scopes: ["capacity:read", "capacity:write"], sha256: createHash("sha256").update(token).digest("hex") });
  // Readable by the container user (uid 1000), writable by you only.
  writeFileSync(file, JSON.stringify(tokens, null, 2) + "\n", { mode: 0o644 });
  console.log(token);
'
