"""Emergency handling (应急处理, seed 002 §6).

Owns: the versioned emergency plans per incident type, their responsible
people and the step putting a version in force (`plans`, §6(一)(二)); an
incident case's type and the plan it follows; the post-incident review of a
closed incident and the plan revision it proposes (`reviews`, §6(三)).
"""
