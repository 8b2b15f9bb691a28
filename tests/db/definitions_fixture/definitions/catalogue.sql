-- What the shop lists: built on product_names, whose file sorts after this one.
CREATE VIEW catalogue AS
    SELECT id || ': ' || name AS label FROM product_names;
