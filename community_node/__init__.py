"""Community node: one per member; imports, signs, encrypts and publishes the member's data."""
