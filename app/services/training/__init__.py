"""Staff training and duty clearance (培训与上岗资格).

Owns: the yearly training plan, training sessions with attendance and the
assessment results (`training_rules`), and the clearance for duty of new
staff — not assigned cases until they pass an assessment or are cleared by
their department head or Management (`clearance`).

Implements seed 003 客服部规章 第十七–十九条 and 客服运营方案 三.1.
"""
