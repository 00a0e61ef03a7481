"""Settings variants for experiments (`python -m bench --settings bench.variants.MODULE`):
each imports the product settings and changes one thing, so a proposed fix can
be measured before it is made in the product."""
