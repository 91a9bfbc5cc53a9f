"""The asset register: hardware assets and licence pools made by receiving, their life
cycle, the contracts that cover them, and what the register reports."""
