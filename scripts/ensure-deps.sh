# Sourced by scripts/demo.sh and scripts/test.sh: installs node_modules when missing or older than the lockfile.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing dependencies (npm install from package-lock.json)..."
  # Not `npm ci`: the registry here serves only this platform's optional packages (e.g. @next/swc-linux-*), so the
  # lockfile lacks the others and `npm ci` refuses it; `npm install --no-save` installs exactly the locked versions.
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
