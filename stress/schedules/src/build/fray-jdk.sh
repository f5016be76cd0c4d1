#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Makes the JDK 25 that Fray's prepare-fray goal instruments with jlink, at $1 (the module's
# target/fray-jdk25). Run by the build (exec-maven-plugin, initialize phase, before prepare-fray).
#
# Why: Fray 0.9 instruments a JDK 25 (java.util.concurrent, Thread, LockSupport) by running that
# JDK's jlink over its jmods. Without a JDK path it downloads one from a vendor's site, which this
# project's machines cannot reach. The machines have Temurin 25, which ships no jmods: it links
# from its own run-time image (JEP 493) instead, and jlink then refuses --add-modules
# ALL-MODULE-PATH over an empty module path and any image with jdk.jlink in it. So the JDK handed
# to Fray is this folder: its bin/java and bin/jlink are the real JDK's, and its jmods/ holds one
# small modular jar that requires every module of the JDK but jdk.jlink and jdk.jpackage (which
# requires it); ALL-MODULE-PATH then pulls in the whole JDK from the run-time image. A JDK 25
# that has jmods (set JDK25_HOME to it) is handed over as it is.
set -euo pipefail
out=$1
candidates=("${JDK25_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64)
jdk=
for c in "${candidates[@]}"; do
  if [ -n "$c" ] && [ -x "$c/bin/jlink" ] && grep -q '^JAVA_VERSION="25' "$c/release" 2>/dev/null; then
    jdk=$c
    break
  fi
done
if [ -z "$jdk" ]; then
  echo "fray-jdk.sh: no JDK 25 found (tried JDK25_HOME and ${candidates[*]:1}); Fray needs one: set JDK25_HOME" >&2
  exit 1
fi
stamp="$out/.made-from"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$jdk" ]; then
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/bin"
ln -s "$jdk/bin/java" "$out/bin/java"
ln -s "$jdk/bin/jlink" "$out/bin/jlink"
if [ -f "$jdk/jmods/java.base.jmod" ]; then
  ln -s "$jdk/jmods" "$out/jmods"
else
  src="$out/module-src"
  mkdir -p "$src" "$out/module-classes" "$out/jmods"
  {
    echo "module kalloc.fray.jdk {"
    grep '^MODULES=' "$jdk/release" | cut -d'"' -f2 | tr ' ' '\n' \
      | grep -v -x -e jdk.jlink -e jdk.jpackage | sed 's/.*/    requires &;/'
    echo "}"
  } > "$src/module-info.java"
  "$jdk/bin/javac" -nowarn -Xlint:none -d "$out/module-classes" "$src/module-info.java" 2> "$out/javac.log" \
    || { cat "$out/javac.log" >&2; exit 1; }
  "$jdk/bin/jar" --create --file "$out/jmods/kalloc-fray-jdk.jar" -C "$out/module-classes" .
fi
echo "$jdk" > "$stamp"
echo "fray-jdk.sh: Fray will instrument $jdk (prepared in $out)"
