ALTER TABLE "contracts" DROP CONSTRAINT "contracts_register_object_id_register_objects_id_fk";
